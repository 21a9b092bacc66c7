import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockingCallError, install, onReport, runInHandler, uninstall, type Report } from '../../src/index';
import { directPackageApis, livePackageTargets, liveTargets, prepareCall } from '../support/harness';

/*
 * Table-driven: every blocking API the running Node has is reported inside a handler (directly,
 * after await, in a timer scheduled from it), not outside, and strict mode stops it before it
 * has any effect.
 */

const livePackages = livePackageTargets();
const live = [...liveTargets(), ...livePackages];
const reports: Report[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  install({ env: false, console: false });
  onReport((r) => reports.push(r));
});
afterAll(() => uninstall());

const reportsFor = (api: string, event: string) => reports.filter((r) => r.api === api && r.handler?.event === event);

it('has a definition for every blocking API of this Node', () => {
  const missing = live.filter((l) => l.definition === undefined).map((l) => l.target.entry.api);
  expect(missing).toEqual([]);
  expect(live.length).toBeGreaterThan(60);
});

it('finds every function of the packages\' table in the installed packages, each with a definition', () => {
  expect(livePackages.map((l) => l.target.entry.api)).toEqual(directPackageApis.map((e) => e.api));
});

describe.each(live.filter((l) => l.definition !== undefined).map((l) => [l.target.entry.api, l] as const))('%s', (api, { target, definition }) => {
  const d = definition!;

  it('is reported when called inside a handler', () => {
    const c = prepareCall(target, d);
    try {
      runInHandler({ source: 'test', event: `direct ${api}` }, () => c.call());
    } finally {
      c.dispose();
    }
    const found = reportsFor(api, `direct ${api}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ type: 'blocking-call', api, kind: target.entry.kind, outcome: 'ran', count: 1, hint: target.entry.alternative });
    expect(found[0]!.site?.file).toMatch(/harness\.ts$/);
    expect(found[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('is reported after an await inside a handler', async () => {
    const c = prepareCall(target, d);
    try {
      await runInHandler({ source: 'test', event: `await ${api}` }, async () => {
        await sleep(1);
        c.call();
      });
    } finally {
      c.dispose();
    }
    expect(reportsFor(api, `await ${api}`)).toHaveLength(1);
  });

  it('is reported in a timer scheduled from a handler', async () => {
    const c = prepareCall(target, d);
    try {
      await new Promise<void>((resolve, reject) => {
        runInHandler({ source: 'test', event: `timer ${api}` }, () => {
          setTimeout(() => {
            try {
              c.call();
              resolve();
            } catch (error) {
              reject(error);
            }
          }, 1);
        });
      });
    } finally {
      c.dispose();
    }
    expect(reportsFor(api, `timer ${api}`)).toHaveLength(1);
  });

  it('is not reported outside a handler', () => {
    const before = reports.length;
    const c = prepareCall(target, d);
    try {
      c.call();
    } finally {
      c.dispose();
    }
    expect(reports.slice(before).filter((r) => r.api === api)).toEqual([]);
  });

  it('strict mode throws before the call has any effect', () => {
    install({ env: false, console: false, mode: 'strict' });
    const c = prepareCall(target, d);
    try {
      const before = c.scratch.snapshot();
      let thrown: unknown;
      try {
        runInHandler({ source: 'test', event: `strict ${api}` }, () => c.call());
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BlockingCallError);
      expect(thrown).toMatchObject({ name: 'BlockingCallError', code: 'ERR_LOOPGUARD_BLOCKING_CALL', api });
      expect(c.scratch.snapshot()).toBe(before);
      expect(c.prepared.changed?.() ?? false).toBe(false);
      expect(reportsFor(api, `strict ${api}`)).toMatchObject([{ outcome: 'thrown', durationMs: 0 }]);
    } finally {
      install({ env: false, console: false, mode: 'report' });
      c.dispose();
    }
  });
});
