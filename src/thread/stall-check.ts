import type { Session } from 'node:inspector';
import { epochNow } from '../core/clock';
import { stallCaptureKey } from '../core/symbols';
import { Slot } from './protocol';

/*
 * The stall watchdog's half in loopguard's thread. It sleeps until the main thread's next
 * heartbeat is `stallMs` overdue (minus the time wrapped blocking calls explain), then asks the
 * main thread, through the inspector, to run loopguard's capture function where it is stuck.
 *
 * Runtime.evaluate of a global function, never Debugger.pause + evaluateOnCallFrame: evaluating
 * on a paused frame materializes the frame's context-allocated variables and writes them back
 * afterwards. Paused in a derived class constructor before `super()` (the pause lands at function
 * entry), with `this` captured by a closure, the write-back replaces the hole that marks `this`
 * as unset with `undefined`, and `super()` then throws "Super constructor may only be called
 * once" (test/watchdog/capture-safety.test.ts shows it on every Node major). A global evaluation
 * touches no frame: it runs at the interrupt the inspector requests (a loop back-edge or a
 * function entry, also inside Atomics.wait) on top of the stuck stack, reads it and returns.
 * No Debugger domain is enabled, so `debugger` statements and breakpoints stay inert too.
 */

export interface StallCheckOptions {
  stallMs: number;
  beatMs: number;
  /** Read the main thread's stack through the inspector (false: --inspect is active). */
  capture: boolean;
}

/** Starts checking the main thread's heartbeats; returns a function that stops it. */
export function startStallCheck(shared: Int32Array, origin: number, options: StallCheckOptions): () => void {
  const { stallMs, beatMs } = options;
  const now = (): number => epochNow() - origin;
  /** The beat the last capture was asked for: one capture per stall. */
  let capturedFor = -1;
  let inspectorWorks = options.capture;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (ms: number): void => {
    timer = setTimeout(check, Math.max(1, Math.ceil(ms)));
  };

  function check(): void {
    const beat = Atomics.load(shared, Slot.beat);
    // 0: not armed yet (start-up); capturedFor: this stall's stack was asked for already.
    if (beat === 0 || beat === capturedFor) return schedule(beatMs);
    // Inside a wrapped call the time is its own report's; look again when it ends.
    if (Atomics.load(shared, Slot.inCall) !== 0) return schedule(Math.min(beatMs, stallMs / 4));
    const t = now();
    const deadline = Atomics.load(shared, Slot.beatAt) + stallMs + Atomics.load(shared, Slot.explainedUs) / 1000;
    if (t < deadline) return schedule(deadline - t);
    capturedFor = beat;
    if (inspectorWorks) askForStack(beat, t);
    schedule(beatMs);
  }

  /*
   * A session per capture: a session left connected makes Node print "Waiting for the debugger to
   * disconnect..." at exit.
   */
  function askForStack(beat: number, decidedAt: number): void {
    let session: Session;
    try {
      const inspector = require('node:inspector') as typeof import('node:inspector');
      session = new inspector.Session();
      session.connectToMainThread();
    } catch {
      inspectorWorks = false;
      Atomics.store(shared, Slot.noInspector, 1);
      return;
    }
    const expression = `globalThis[Symbol.for(${JSON.stringify(stallCaptureKey)})]?.(${beat}, ${decidedAt})`;
    session.post('Runtime.evaluate', { expression, silent: true, returnByValue: true }, () => session.disconnect());
  }

  schedule(stallMs);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
  };
}
