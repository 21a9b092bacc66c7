import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInHandler } from '../../src/index';
import { BlockedDuringTestError, guardTests, type TestHooks } from '../../src/testing/index';
import { activeRuntime } from '../../src/runtime/active';
import { lineOf } from '../support/run-node';

const root = resolve(__dirname, '../..');

function fakeHooks() {
  const hooks = { before: [] as (() => void)[], after: [] as (() => void)[] };
  const api: TestHooks = { beforeEach: (fn) => hooks.before.push(fn), afterEach: (fn) => hooks.after.push(fn) };
  return { api, run: (body: () => void) => {
    hooks.before.forEach((f) => f());
    let bodyError: unknown;
    try {
      body();
    } catch (error) {
      bodyError = error;
    }
    hooks.after.forEach((f) => f());
    return bodyError;
  } };
}

describe('guardTests with any runner\'s hooks', () => {
  it('fails a test in which a handler stalled the loop (a CPU loop no wrapper sees)', async () => {
    const hooks = { before: [] as (() => void)[], after: [] as (() => void)[] };
    guardTests({ beforeEach: (fn) => hooks.before.push(fn), afterEach: (fn) => hooks.after.push(fn) }, { settings: { stallMs: 100 } });
    hooks.before.forEach((f) => f());
    await new Promise((r) => setTimeout(r, 50)); // the watchdog is armed once the loop turns
    runInHandler({ source: 'test', event: 'messageCreate' }, () => {
      const end = Date.now() + 400;
      while (Date.now() < end); // spinning
    });
    await new Promise((r) => setTimeout(r, 100)); // the loop turns: the stall is reported
    let failure: unknown;
    try {
      hooks.after.forEach((f) => f());
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(BlockedDuringTestError);
    expect((failure as Error).message).toMatch(/the event loop stalled for \d+ ms in handler "messageCreate" \(test\), stuck in .* at .*guard-tests\.test\.ts/);
  });

  it('fails the test (after-each throws) when a handler blocked, naming the call and the line; strict during the test', () => {
    const { api, run } = fakeHooks();
    guardTests(api);
    let inner: unknown;
    let outer: unknown;
    try {
      run(() => {
        try {
          runInHandler({ source: 'test', event: 'messageCreate' }, () => fs.readFileSync(__filename));
        } catch (error) {
          inner = error;
        }
      });
    } catch (error) {
      outer = error;
    }
    expect(inner).toMatchObject({ name: 'BlockingCallError' }); // strict: stopped in the handler
    expect(outer).toBeInstanceOf(BlockedDuringTestError);
    expect((outer as Error).message).toContain('fs.readFileSync was stopped (strict mode) in handler "messageCreate" (test)');
    expect((outer as Error).message).toContain('guard-tests.test.ts');
  });

  it('fails again for the same site in a later test, and passes a test that does not block', () => {
    const { api, run } = fakeHooks();
    guardTests(api);
    const block = () => runInHandler({ source: 'test', event: 'again' }, () => fs.statSync(__filename));
    expect(() => run(() => { try { block(); } catch { /* stopped */ } })).toThrow(BlockedDuringTestError);
    expect(() => run(() => { try { block(); } catch { /* stopped */ } })).toThrow(BlockedDuringTestError);
    expect(() => run(() => runInHandler({ event: 'clean' }, () => 1 + 1))).not.toThrow();
  });
});

describe('guardTests restores the settings it changed', () => {
  it('including the test-only settings given to it', () => {
    const { api, run } = fakeHooks();
    guardTests(api, { settings: { reportArgs: true, sampleAbove: 'off' } });
    const before = { ...activeRuntime().settings };
    let during: typeof before | undefined;
    run(() => {
      during = { ...activeRuntime().settings };
    });
    expect(during).toMatchObject({ mode: 'strict', reportArgs: true, sampleAbove: Infinity });
    expect(activeRuntime().settings).toEqual(before);
  });
});

describe('guardTests in vitest', () => {
  guardTests({ beforeEach, afterEach });
  it('lets a test whose handlers do not block pass', async () => {
    await runInHandler({ event: 'fine' }, async () => {
      await fs.promises.readFile(__filename);
    });
  });
});

describe('guardTests in node:test, with a real discord.js bot against the emulator', () => {
  const nodeTest = (file: string) => new Promise<{ code: number | null; out: string }>((done) => {
    execFile(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (error.code as number) : 0, out: stdout + stderr });
    });
  });

  it('the documented example passes', async () => {
    const { code, out } = await nodeTest('examples/testing/points-bot.test.js');
    expect(out).toMatch(/# pass 1\b/);
    expect(code).toBe(0);
  });

  it('a test whose bot blocks in a handler fails, naming the call and the line', async () => {
    const file = 'test/fixtures/node-test/blocking-bot.test.js';
    const { code, out } = await nodeTest(file);
    expect(code).not.toBe(0);
    expect(out).toMatch(/# fail 1\b/);
    expect(out).toContain('loopguard: handlers blocked the event loop during this test');
    expect(out).toContain(`fs.readFileSync was stopped (strict mode) in handler "messageCreate" (discord.js) at ${resolve(root, file)}:${lineOf(resolve(root, file), 'read')}`);
  });
});
