import { handlerStorage, type HandlerContext } from '../context';
import { captureFrames } from '../guard/callers';
import { waitingInteractions, type PendingInteraction } from './at-risk';
import { Slot, captureKey, clock } from '../thread/protocol';

/*
 * What runs on the main thread while it is stuck: the watchdog thread's Runtime.evaluate calls
 * `capture` at the interrupt point, on top of the stuck stack. It only reads (the stack, the
 * handler context) and keeps them for the report, which is built once the loop turns again.
 */

export interface Capture {
  /** The heartbeat count while stuck: the capture belongs to the stall that ends the next beat. */
  beat: number;
  frames: NodeJS.CallSite[];
  handler: HandlerContext | undefined;
  /** Interactions waiting for their acknowledgement while the loop was stuck. */
  waiting: PendingInteraction[];
  /** From the watchdog deciding the loop is stalled to the stack being read. */
  delayMs: number;
}

let shared: Int32Array | undefined;
let origin = 0;
let last: Capture | undefined;

function capture(beat: number, decidedAt: number): void {
  // The loop turned since the watchdog asked (the request waited for a native call to return):
  // this stack is not the stall's.
  if (shared === undefined || Atomics.load(shared, Slot.beat) !== beat) return;
  last = { beat, frames: captureFrames(capture, 32), handler: handlerStorage.getStore(), waiting: waitingInteractions(), delayMs: clock() - origin - decidedAt };
}

const holder = globalThis as typeof globalThis & Record<symbol, unknown>;
const key = Symbol.for(captureKey);

export function enableCapture(buffer: Int32Array, timeOrigin: number): void {
  shared = buffer;
  origin = timeOrigin;
  holder[key] = capture;
}

export function disableCapture(): void {
  if (holder[key] === capture) delete holder[key];
  shared = undefined;
  last = undefined;
}

/** The capture made during the stall that ended at beat `beat`, if any. */
export function takeCapture(beat: number): Capture | undefined {
  const c = last;
  last = undefined;
  return c !== undefined && c.beat === beat ? c : undefined;
}
