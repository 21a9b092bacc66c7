/*
 * Every symbol loopguard sets on objects it does not own, and every global it shares, in one
 * place (as pino's lib/symbols.js). The `Symbol.for` keys are versioned and shared by every copy
 * of loopguard in a process: two versions in one tree must agree on what a handler is and on which
 * copy is active.
 */

/** The handler context's AsyncLocalStorage (one per process). */
export const kHandlerStorage = Symbol.for('loopguard.handler-context.v1');
/** The installed runtime, whose API the other copies use. */
export const kRuntime = Symbol.for('loopguard.runtime.v1');
/** On a wrapper: the function it wraps (any copy's wrapper is recognised as one). */
export const kOriginal = Symbol.for('loopguard.original');
/** On a wrapper: whether the runtime that made it still guards (a retired wrapper only calls through). */
export const kWrapperLive = Symbol.for('loopguard.wrapper-live.v1');
/** On an emitter that track() made a handler source: its own emit from before. */
export const kTracked = Symbol.for('loopguard.tracked');
/** The global that loopguard's thread asks the stuck main thread to call (by this key, in an evaluated expression). */
export const stallCaptureKey = 'loopguard.stall-capture.v1';
export const kStallCapture = Symbol.for(stallCaptureKey);
