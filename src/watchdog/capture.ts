import { captureFrames } from '../core/call-sites';
import { epochNow } from '../core/clock';
import { handlerStorage, type HandlerContext } from '../core/context';
import { kStallCapture } from '../core/symbols';
import { Slot } from '../thread/protocol';

/*
 * What runs on the main thread while it is stuck: loopguard's thread evaluates a call of the
 * global function below (Runtime.evaluate), which runs at the interrupt point, on top of the stuck
 * stack. It only reads (the stack, the handler context, what is waiting) and keeps them for the
 * report, which is built once the loop turns again.
 */

export interface Capture {
  /** The heartbeat count while stuck: the capture belongs to the stall that ends the next beat. */
  beat: number;
  frames: NodeJS.CallSite[];
  handler: HandlerContext | undefined;
  /** What each at-risk source said was waiting while the loop was stuck. */
  snapshots: unknown[];
  /** From the watchdog deciding the loop is stalled to the stack being read. */
  delayMs: number;
}

type Holder = typeof globalThis & { [kStallCapture]?: (beat: number, decidedAt: number) => void };
const holder = globalThis as Holder;

export class StallCapture {
  private last: Capture | undefined;
  private readonly capture = (beat: number, decidedAt: number): void => {
    // The loop turned since the thread asked (the request waited for a native call to return):
    // this stack is not the stall's.
    if (Atomics.load(this.shared, Slot.beat) !== beat) return;
    this.last = {
      beat,
      frames: captureFrames(this.capture, 32),
      handler: handlerStorage.getStore(),
      snapshots: this.snapshot(),
      delayMs: epochNow() - this.origin - decidedAt,
    };
  };

  constructor(private readonly shared: Int32Array, private readonly origin: number, private readonly snapshot: () => unknown[]) {
    holder[kStallCapture] = this.capture;
  }

  /** The capture made during the stall that ended at beat `beat`, if any. */
  take(beat: number): Capture | undefined {
    const c = this.last;
    this.last = undefined;
    return c !== undefined && c.beat === beat ? c : undefined;
  }

  disable(): void {
    if (holder[kStallCapture] === this.capture) delete holder[kStallCapture];
    this.last = undefined;
  }
}
