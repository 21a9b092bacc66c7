import { Session } from 'node:inspector';
import { describe, expect, it } from 'vitest';
import type { StallReport } from '../../src/index';
import { cleanup, fixture, runNode } from '../support/run-node';

/*
 * Why the watchdog never evaluates on a paused frame: paused in a derived class constructor
 * before super() with `this` captured by a closure, Debugger.evaluateOnCallFrame (of anything)
 * writes the frame's variables back and `this` stops being unset: super() then throws.
 */
class Base {
  readonly b = 1;
}
class Derived extends Base {
  readonly self: () => Derived;
  constructor() {
    const self = () => this;
    // eslint-disable-next-line no-debugger
    debugger;
    super();
    this.self = self;
  }
}

function constructPausedWith(evaluate: (session: Session, callFrameId: string) => void): unknown {
  const session = new Session();
  session.connect();
  session.post('Debugger.enable');
  session.on('Debugger.paused', ({ params }) => {
    evaluate(session, params.callFrames[0]!.callFrameId);
    session.post('Debugger.resume');
  });
  try {
    return new Derived();
  } catch (error) {
    return error;
  } finally {
    session.disconnect();
  }
}

describe('reading a stuck main thread', () => {
  it('evaluating on a paused derived constructor frame breaks its super() call (the hazard)', () => {
    const result = constructPausedWith((s, id) => s.post('Debugger.evaluateOnCallFrame', { callFrameId: id, expression: '1' }));
    expect(result).toBeInstanceOf(ReferenceError);
    expect((result as Error).message).toBe('Super constructor may only be called once');
  });

  it('a global evaluation at the same point (what the watchdog does) leaves it alone', () => {
    const result = constructPausedWith((s) => s.post('Runtime.evaluate', { expression: 'globalThis[Symbol.for("loopguard.stall-capture.v1")]?.(0, 0)' }));
    expect(result).toBeInstanceOf(Derived);
    expect((result as Derived).self()).toBe(result);
  });

  it('many stalls captured while modules load and derived classes are built change nothing', async () => {
    const result = await runNode(['-r', 'loopguard/register', fixture('stall-stress.js')], { LOOPGUARD_STALL_MS: '50', LOOPGUARD_MODULE_LOADS: 'off', LOOPGUARD_CONSOLE: 'off' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^loaded 60 modules, built [1-9]\d* objects/);
    const stalls = result.reports.filter((r): r is StallReport => r.type === 'stall');
    const count = stalls.reduce((n, r) => n + r.count, 0);
    expect(count).toBeGreaterThanOrEqual(30);
    // The first stalls come before loopguard's thread runs (it starts at the loop's first turn):
    // those are reported without a stack; the rest are captured.
    expect(stalls.find((s) => s.outcome === 'captured')).toMatchObject({ handler: { event: 'load' } });
    cleanup(result);
  }, 30_000);
});
