import { now } from '../core/clock';
import { handlerStorage, type HandlerContext } from '../core/context';
import { withoutOwnFrames } from '../core/error-stacks';
import { rethrow } from '../core/rethrow';
import type { AnyFunction } from '../core/patch';
import type { Guard } from './guard';

/*
 * What every kind of wrapper shares: the prologue (the fast path is one context lookup and a call
 * through; everything else happens only inside handlers) and the timed section.
 */

const storage = handlerStorage;

/**
 * Whether a call inside a handler (or anywhere, with `scope: all`) only runs, its bookkeeping done
 * here: most calls at a hot site, allowed calls, calls inside another guarded call. It reads no
 * argument of the call.
 */
export type RunsAsIs = (handler: HandlerContext | undefined) => boolean;

/** What a wrapper does with every other call; `args` are made for it alone. */
export type Judged = (self: unknown, args: readonly unknown[], handler: HandlerContext | undefined, wrapper: AnyFunction) => unknown;

/**
 * Whether a call is judged, given the handler it runs in (one context lookup): inside handlers, or
 * anywhere with `scope: all`; never by an inactive guard (uninstalled, mode off).
 */
export function judges(guard: Guard, handler: HandlerContext | undefined): boolean {
  return (handler !== undefined || guard.judgesAll) && guard.active;
}

/**
 * The one wrapper prologue: outside handlers, one context lookup and the original; inside, the
 * original as it is when `runsAsIs` says so, else `judged`. The call's `arguments` are passed on
 * only through Reflect.apply, which V8 does without making them an object (handing them on as a
 * value made one at every call in a handler: about 100 ns of a hot site's call). And the wrapper
 * stays this small: with the as-is run written in it, V8 no longer inlined it into its callers,
 * and the fast path took 40-80 ns more.
 */
export function judgingWrapper(guard: Guard, original: AnyFunction, runsAsIs: RunsAsIs, judged: Judged, key?: string): AnyFunction {
  const wrapper = function (this: unknown): unknown {
    try {
      const handler = storage.getStore();
      if (!judges(guard, handler)) return Reflect.apply(original, this, arguments);
      return Reflect.apply(runsAsIs(handler) ? asIs : judge, this, arguments);
    } catch (error) {
      withoutOwnFrames(error, wrapper, key);
      rethrow(error);
    }
  };
  // What passThrough does, written out: passThrough takes the arguments as a value.
  const asIs = function (this: unknown): unknown {
    guard.depth++;
    try {
      return Reflect.apply(original, this, arguments);
    } finally {
      guard.depth--;
    }
  };
  // The handler is read again here, rather than passed: nothing runs between the two reads.
  const judge = function (this: unknown, ...args: unknown[]): unknown {
    return judged(this, args, storage.getStore(), wrapper);
  };
  return wrapper;
}

/**
 * A guarded call's timed section, as two halves around it: the calls it makes inside
 * (readFileSync → openSync) are part of it, and the watchdog leaves its time to its report.
 * `callStarted` returns the start (core/clock's now()), `callEnded` the time it blocked; the
 * watchdog counts it `weight` times (a timed call standing for untimed ones, core/sampling.ts).
 */
export function callStarted(guard: Guard): number {
  guard.depth++;
  guard.bus.timing?.started();
  return now();
}

export function callEnded(guard: Guard, start: number, weight = 1): number {
  guard.depth--;
  const durationMs = now() - start;
  guard.bus.timing?.ended(durationMs * weight);
  return durationMs;
}

/** Runs `original` as one guarded call; `after` gets the time it blocked. */
export function timedCall(guard: Guard, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, after: (durationMs: number, start: number) => void): unknown {
  const start = callStarted(guard);
  try {
    return Reflect.apply(original, self, args);
  } finally {
    after(callEnded(guard, start), start);
  }
}

/** Calls `original` with the calls inside it belonging to it (allowed, or not reportable): they are not judged either. */
export function passThrough(guard: Guard, original: AnyFunction, self: unknown, args: ArrayLike<unknown>): unknown {
  guard.depth++;
  try {
    return Reflect.apply(original, self, args);
  } finally {
    guard.depth--;
  }
}
