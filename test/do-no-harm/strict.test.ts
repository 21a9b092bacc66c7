import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

/*
 * Strict mode stops one call and ends the one listener that made it: the event's other listeners
 * run, the app's own unhandled rejections are handled as Node's --unhandled-rejections mode says,
 * every stop is told, and the error carries this event's ids and prints compactly.
 */

const listeners = fixture('strict-listeners.js');

describe('strict mode in a running app', () => {
  it('ends only the listener that made the call; the event\'s other listeners run; the error carries this event\'s ids and prints compactly', async () => {
    const run = await runNode(['-r', 'loopguard/register', listeners], { GUARDED: '1', LOOPGUARD_MODE: 'strict', LOOPGUARD_CONSOLE: 'on' });
    try {
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as { calls: number[]; thrown: string[]; ids: string[]; printedLines: number };
      expect(out.calls).toEqual([2, 2, 2]);
      expect(out.thrown).toEqual([]);
      expect(out.ids).toEqual(['m1', 'm2']);
      expect(out.printedLines).toBeLessThanOrEqual(25);
      // Every stop is told: the first at once, the repeat counted in the next line.
      const line = lineOf(listeners, 'blocking');
      expect(run.stderr).toContain(`fs.readFileSync was stopped (strict mode) in handler "message" (fixture) at test/fixtures/apps/strict-listeners.js:${line}:`);
      expect(run.stderr).toContain(`fs.readFileSync was stopped (strict mode) 1 more time in handler "message" (fixture) at test/fixtures/apps/strict-listeners.js:${line}:`);
      // The un-awaited job's stop was reported, and it did not crash the app.
      expect(run.stderr).toContain('fs.statSync was stopped (strict mode) in handler "job" (fixture)');
    } finally {
      cleanup(run);
    }
  });

  it.each(['throw', 'strict', 'warn', 'none', 'warn-with-error-code'])('--unhandled-rejections=%s: the app\'s own rejection is handled as without loopguard', async (mode) => {
    const app = fixture('unhandled.js');
    const [plain, guarded] = await Promise.all([
      runNode([`--unhandled-rejections=${mode}`, app], { LOOPGUARD_CONSOLE: 'off' }),
      runNode([`--unhandled-rejections=${mode}`, '-r', 'loopguard/register', app], { LOOPGUARD_MODE: 'strict', LOOPGUARD_CONSOLE: 'off' }),
    ]);
    try {
      // Node numbers unhandled rejections; loopguard hands Node the app's again, which takes the next number.
      const outcome = (r: typeof plain) => ({
        code: r.code,
        stdout: r.stdout,
        stderr: r.stderr.replace(/\(node:\d+\)/g, '(node:PID)').replace(/Node\.js v[\d.]+/, 'Node.js').replace(/\(rejection id: \d+\)/g, '(rejection id: N)'),
      });
      expect(outcome(guarded)).toEqual(outcome(plain));
    } finally {
      cleanup(plain);
      cleanup(guarded);
    }
  });
});
