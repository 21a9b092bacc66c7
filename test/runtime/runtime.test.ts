import * as fs from 'node:fs';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addSink, BlockingCallError, configure, install, isInstalled, onReport, runInHandler, summary, uninstall, type Report,
} from '../../src/index';
import { LoopguardInstrumentation, otelSink } from '../../src/otel';
import { Scratch } from '../support/scratch';
import { startSdk } from '../sinks/otel/support';

/*
 * One runtime owns everything installed: configure() changes it in place, uninstall() undoes all
 * of it. Each test here failed on the shape before (a module-level state reset by hand).
 */

let n = 0;
const handler = <R>(fn: () => R): R => runInHandler({ source: 'test', event: `r${++n}` }, fn);
const scratch = new Scratch();
const file = scratch.file('data.json', '{}');

afterEach(() => {
  uninstall();
});

/** This process' descriptors open on `path` (not the whole table: vitest's own come and go). */
const fdsOn = (path: string): number => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === path;
  } catch {
    return false; // closed since the listing
  }
}).length;

describe('uninstall()', () => {
  it('takes the OpenTelemetry handler observer with it: no span after it, one span per handler after installing again', async () => {
    const sdk = startSdk();
    try {
      install({ env: false, console: false, otel: 'off' });
      addSink(otelSink({ tracerProvider: sdk.tracerProvider }));
      handler(() => 1);
      expect(sdk.spans()).toHaveLength(1);
      uninstall();
      sdk.reset();
      handler(() => 1);
      expect(sdk.spans()).toEqual([]);
      install({ env: false, console: false, otel: 'off' });
      addSink(otelSink({ tracerProvider: sdk.tracerProvider }));
      handler(() => 1);
      expect(sdk.spans().map((s) => s.name)).toEqual([`test r${n}`]);
    } finally {
      await sdk.shutdown();
    }
  });

  it('leaves a wrapper another tool wrapped again in place, calling straight through: isInstalled() is false and nothing is judged', () => {
    install({ env: false, console: false, mode: 'strict' });
    const cjsFs = createRequire(__filename)('node:fs') as { statSync: typeof fs.statSync };
    const ours = cjsFs.statSync;
    const theirs = function statSync(this: unknown, ...args: unknown[]) {
      return Reflect.apply(ours, this, args) as fs.Stats;
    } as typeof fs.statSync;
    cjsFs.statSync = theirs;
    try {
      uninstall();
      expect(isInstalled()).toBe(false);
      expect(cjsFs.statSync).toBe(theirs);
      const reports: Report[] = [];
      onReport((r) => reports.push(r));
      expect(() => handler(() => cjsFs.statSync(file))).not.toThrow();
      expect(reports).toEqual([]);
    } finally {
      cjsFs.statSync = ours;
    }
  });
});

describe('configure()', () => {
  it('keeps the report file open (one descriptor, whatever the number of calls); a new path closes the old file', () => {
    const path = scratch.path('reports.jsonl');
    install({ env: false, console: false, otel: 'off', reportFile: path });
    for (let i = 0; i < 200; i++) configure({ thresholdMs: 0, reportFile: path });
    // The main thread's and, once it runs, loopguard's thread's: not one per call (it was one each).
    expect(fdsOn(path)).toBeLessThanOrEqual(2);
    expect(fdsOn(path)).toBeGreaterThanOrEqual(1);
    configure({ reportFile: scratch.path('other.jsonl') });
    handler(() => fs.statSync(file));
    uninstall();
    expect(readFileSync(scratch.path('other.jsonl'), 'utf8')).toContain('"fs.statSync"');
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('mode off stops all reporting; back to report, it reports again', () => {
    install({ env: false, console: false, otel: 'off' });
    const reports: Report[] = [];
    onReport((r) => reports.push(r));
    configure({ mode: 'off' });
    handler(() => fs.statSync(file));
    expect(reports).toEqual([]);
    configure({ mode: 'report' });
    handler(() => fs.statSync(file));
    expect(reports.map((r) => r.api)).toEqual(['fs.statSync']);
  });

  it('installed with mode off, configure({ mode: "strict" }) guards from then on', () => {
    install({ env: false, console: false, otel: 'off', mode: 'off' });
    expect(() => handler(() => fs.statSync(file))).not.toThrow();
    configure({ mode: 'strict' });
    expect(() => handler(() => fs.statSync(file))).toThrow(BlockingCallError);
  });

  it('keeps the OpenTelemetry call counter: counts go on across configure()', async () => {
    const sdk = startSdk();
    try {
      install({ env: false, console: false, otel: 'off' });
      addSink(otelSink({ meterProvider: sdk.meterProvider }));
      const event = `counted${++n}`;
      runInHandler({ source: 'test', event }, () => fs.statSync(file));
      configure({ thresholdMs: 0 });
      runInHandler({ source: 'test', event }, () => fs.statSync(file));
      const points = await sdk.points('loopguard.blocking_calls');
      const mine = points.filter((p) => p.attributes['loopguard.handler.event'] === event);
      expect(mine.map((p) => p.value)).toEqual([2]);
    } finally {
      await sdk.shutdown();
    }
  });
});

describe('LoopguardInstrumentation', () => {
  it('setConfig() changes the running guard', () => {
    const instrumentation = new LoopguardInstrumentation({ console: false, otel: 'off' });
    try {
      expect(() => handler(() => fs.statSync(file))).not.toThrow();
      instrumentation.setConfig({ mode: 'strict' });
      expect(() => handler(() => fs.statSync(file))).toThrow(BlockingCallError);
    } finally {
      instrumentation.disable();
    }
  });
});

describe('summary()', () => {
  it('is the installed runtime\'s, and a fresh one after uninstall', () => {
    install({ env: false, console: false, otel: 'off' });
    handler(() => fs.statSync(file));
    expect(summary().calls).toBe(1);
    uninstall();
    expect(summary().calls).toBe(0);
  });
});
