import { describe, expect, it } from 'vitest';
import type { Report, StallReport } from '../../src/index';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

/* Stalls of a real process under `-r loopguard/register`, watched by the real watchdog thread. */

const app = fixture('stall-app.js');
const stalls = (reports: Report[]) => reports.filter((r): r is StallReport => r.type === 'stall');
const run = (scenario: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
  runNode([...nodeArgs, '-r', 'loopguard/register', app, scenario], { LOOPGUARD_STALL_MS: '200', ...env });

describe('the stall watchdog', () => {
  it('reports a handler that spins, with the spinning function, its line, the handler and the full length', async () => {
    const result = await run('spin');
    expect(result.code).toBe(0);
    const [stall, ...rest] = stalls(result.reports);
    expect(rest).toEqual([]);
    expect(stall).toMatchObject({
      type: 'stall', kind: 'stall', outcome: 'captured', api: 'spinFor', thresholdMs: 200,
      handler: { source: 'fixture', event: 'spin' },
      site: { file: app, line: lineOf(app, 'spinner'), function: 'spinFor' },
      atRisk: { heartbeats: [], interactions: [] },
      docs: 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#fixing-stall',
    });
    expect(stall!.stack).toContain(`${app}:${lineOf(app, 'spin')}:`);
    // The app spins for 600 ms of the process' CPU time; the stall is the main thread's share
    // (loopguard's thread reading the stack and V8's compiler threads run meanwhile).
    expect(stall!.durationMs).toBeGreaterThanOrEqual(500);
    expect(stall!.durationMs).toBeLessThan(1500);
    expect(stall!.captureDelayMs).toBeLessThan(50);
    cleanup(result);
  });

  it('reports in strict mode too (nothing can be thrown out of a loop)', async () => {
    const result = await run('spin', { LOOPGUARD_MODE: 'strict' });
    expect(result.code).toBe(0);
    expect(stalls(result.reports)).toMatchObject([{ outcome: 'captured', api: 'spinFor', handler: { event: 'spin' } }]);
    cleanup(result);
  });

  it('counts repeats at one site instead of reporting each (no report storms)', async () => {
    const result = await run('repeat');
    const got = stalls(result.reports);
    expect(got.reduce((n, r) => n + r.count, 0)).toBe(3);
    // Each stall is read where the loop was stuck: the spinner, except that a loaded machine can
    // catch one of the three in its process.cpuUsage() call, a site of its own (Node 24, beside
    // two spinning processes). The spinner's are one report, then one of the repeats.
    const spinner = got.filter((r) => r.site?.line === lineOf(app, 'spinner'));
    const atSpinner = spinner.reduce((n, r) => n + r.count, 0);
    expect(atSpinner).toBeGreaterThanOrEqual(2);
    expect(spinner.map((r) => [r.aggregate, r.count])).toEqual([[false, 1], [true, atSpinner - 1]]);
    expect(spinner[1]).toMatchObject({ handler: { event: 'repeat' } });
    expect(got.filter((r) => !spinner.includes(r)).every((r) => !r.aggregate && r.count === 1)).toBe(true);
    cleanup(result);
  });

  it('judges stalls outside handlers like blocking calls: only with scope all', async () => {
    const handlersOnly = await run('outside');
    expect(stalls(handlersOnly.reports)).toEqual([]);
    const all = await run('outside', { LOOPGUARD_SCOPE: 'all' });
    expect(stalls(all.reports)).toMatchObject([{ handler: null, api: 'spinFor', site: { line: lineOf(app, 'spinner') } }]);
    cleanup(handlersOnly);
    cleanup(all);
  });

  it('reports a long call at a hot site once: as a stall at its line when it was not timed (untimed calls are plain code to it), else in its site\'s reports', async () => {
    const result = await run('untimed', { LOOPGUARD_SAMPLE_ABOVE: '1' });
    expect(result.code).toBe(0);
    const calls = result.reports.filter((r) => r.type === 'blocking-call');
    expect(calls.reduce((n, r) => n + r.count, 0)).toBe(20_001);
    // On a quiet machine the long call is not timed; on a loaded one a fast call may take 1 ms
    // (descheduled), which has the next 256 calls timed, the long one too if among them.
    const timed = calls.some((r) => r.maxDurationMs >= 500);
    if (timed) {
      expect(stalls(result.reports)).toEqual([]);
    } else {
      expect(stalls(result.reports)).toMatchObject([{
        outcome: 'captured', api: 'Atomics.wait', handler: { event: 'untimed' }, site: { file: app, line: lineOf(app, 'untimed') },
      }]);
    }
    cleanup(result);
  });

  it('reports a stall that follows a long idle time as one that follows a busy loop (the heartbeat slowed down meanwhile)', async () => {
    const result = await run('idle-spin');
    expect(result.code).toBe(0);
    const [stall, ...rest] = stalls(result.reports);
    expect(rest).toEqual([]);
    expect(stall).toMatchObject({
      outcome: 'captured', api: 'spinFor', handler: { event: 'spin' },
      site: { file: app, line: lineOf(app, 'spinner'), function: 'spinFor' },
    });
    expect(stall!.stack).toContain(`${app}:${lineOf(app, 'idle-spin')}:`);
    expect(stall!.durationMs).toBeGreaterThanOrEqual(500);
    cleanup(result);
  });

  it.runIf(process.platform === 'linux')('wakes an idle loop less often than a busy one: up to 45 % of the threshold between heartbeats', async () => {
    // 1,000 ms: a heartbeat every 100 ms while the loop works, every 450 ms once it has waited
    // for a while. In 3 s idle, 30 beats at the busy pace (34 wakeups in all here), 7 at the idle
    // one (10 in all: the app's own timer, V8's tasks).
    const result = await run('wakeups', { LOOPGUARD_STALL_MS: '1000' });
    expect(result.code).toBe(0);
    const wakeups = Number(/^wakeups (\d+)$/m.exec(result.stdout)?.[1]);
    expect(wakeups).toBeGreaterThanOrEqual(2);
    expect(wakeups).toBeLessThanOrEqual(16);
    cleanup(result);
  });

  it('reports no stall for a busy but never stuck process', async () => {
    const result = await run('idle', { LOOPGUARD_STALL_MS: '50', LOOPGUARD_SCOPE: 'all' });
    expect(result.code).toBe(0);
    expect(stalls(result.reports)).toEqual([]);
    cleanup(result);
  });

  it('never keeps the process alive, and leaves no inspector session behind at exit', async () => {
    const started = Date.now();
    const result = await run('exit', { LOOPGUARD_STALL_MS: '50' });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.stderr).toBe('');
    cleanup(result);
  });

  it('never loads node:inspector on the main thread (its own thread reads the stacks), also once it armed', async () => {
    const loaded = "process.moduleLoadList.includes('NativeModule inspector')";
    const result = await runNode(['-r', 'loopguard/register', '-e', `console.log(${loaded}); setImmediate(() => setImmediate(() => console.log(${loaded})))`], { LOOPGUARD_STALL_MS: '200' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('false\nfalse\n');
    cleanup(result);
  });

  it('with a debugger attached (--inspect) reports stalls without stacks, and says so once', async () => {
    const result = await run('repeat', {}, ['--inspect=127.0.0.1:0']);
    expect(result.code).toBe(0);
    const got = stalls(result.reports);
    expect(got[0]).toMatchObject({ outcome: 'no-stack', stackUnavailable: 'inspector-busy', api: 'event-loop', site: null, stack: '' });
    expect(got.reduce((n, r) => n + r.count, 0)).toBe(3);
    expect(result.stderr.match(/a debugger is attached/g)).toHaveLength(1);
    cleanup(result);
  });

  it('with the inspector opened by the app (a debugger\'s bootloader: inspector.open()), also reports stalls without stacks, and says so', async () => {
    const result = await run('repeat', {}, ['-r', fixture('open-inspector.js')]);
    expect(result.code).toBe(0);
    expect(stalls(result.reports)[0]).toMatchObject({ outcome: 'no-stack', stackUnavailable: 'inspector-busy' });
    expect(result.stderr.match(/a debugger is attached/g)).toHaveLength(1);
    cleanup(result);
  });

  it('with --inspect given in NODE_OPTIONS, also reports stalls without stacks', async () => {
    const result = await run('repeat', { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
    expect(result.code).toBe(0);
    expect(stalls(result.reports)[0]).toMatchObject({ outcome: 'no-stack', stackUnavailable: 'inspector-busy' });
    cleanup(result);
  });

  it('LOOPGUARD_STALL_MS=off starts no watchdog', async () => {
    const result = await run('spin', { LOOPGUARD_STALL_MS: 'off' });
    expect(stalls(result.reports)).toEqual([]);
    cleanup(result);
  });
});
