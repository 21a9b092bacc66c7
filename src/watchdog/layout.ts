/*
 * The SharedArrayBuffer the main thread and the watchdog thread share: Int32 slots read and
 * written with Atomics. Times are milliseconds since `origin` (an absolute time both threads
 * compute as performance.timeOrigin + performance.now()).
 */

/** Incremented by the main thread's heartbeat timer each time it runs: the loop turned. */
export const BEAT = 0;
/** When the last heartbeat ran, ms since origin. */
export const BEAT_AT = 1;
/** 1 while a wrapped blocking call runs (its own report will explain the time). */
export const IN_CALL = 2;
/** Microseconds that wrapped blocking calls took since the last heartbeat (wraps; differences only). */
export const EXPLAINED_US = 3;
/** Set by the watchdog when it cannot read stacks (no inspector, connectToMainThread threw). */
export const NO_INSPECTOR = 4;
export const SLOTS = 5;

export interface WatchdogData {
  buffer: SharedArrayBuffer;
  stallMs: number;
  beatMs: number;
  origin: number;
  /** Read the main thread's stack through the inspector (false: --inspect is active). */
  capture: boolean;
}

/** The global the watchdog's Runtime.evaluate calls: `capture(beat, decidedAt)`. */
export const captureKey = 'loopguard.stall-capture.v1';

export const clock = (): number => performance.timeOrigin + performance.now();
