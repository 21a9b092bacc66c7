import type { ObserverEntry } from '../core/bus';
import { contextFromInfo, handlerStorage, type HandlerContext, type HandlerInfo } from '../core/context';
import type { HandlerScope } from '../core/reports';
import type { AnyFunction } from '../core/patch';
import { rethrow } from '../core/rethrow';

/*
 * A handler's life: it starts when its event is emitted and ends when its work settles — every
 * listener returned and the promises they returned settled. Observers (the OpenTelemetry sink's
 * handler spans) follow it. With no observer, a handler is one `handlerStorage.run` and nothing
 * else: following promises costs, so it is done only when someone records it.
 */

/** Who follows handlers now (read per event: an observer added later sees the next one). */
export type Observers = () => readonly ObserverEntry[];

/** What the listeners of one event returned, for the scopes to wait on. */
export interface Settling {
  promises: PromiseLike<unknown>[];
  /**
   * Whether the emitter handles its listeners' rejections itself (captureRejections). When it does
   * not, a rejection that nobody else would have seen is raised again as unhandled once observed,
   * so observing never hides a crash the app would have had.
   */
  handled: boolean;
  /** Strict mode: a listener stopped by a BlockingCallError ends, and the event's other listeners run. */
  containStops: boolean;
}

interface Started {
  scope: HandlerScope;
  onError: ObserverEntry['onError'];
}

/**
 * What a handled event runs when someone waits for its work (observers, or strict mode's
 * containment): `fn` on `self` with `args` (an emit, a packet handler), putting what the listeners
 * return in the Settling. With nobody waiting, the event is `Reflect.apply(fn, self, args)` itself.
 * Module-level functions of this shape, with the event's values passed beside them, make no
 * closure per event.
 */
export type Invoke<S, F, A, R> = (settling: Settling, self: S, fn: F, args: A) => R;

/**
 * Runs one handled event: `fn` on `self` with `args`, inside `context`. When observers follow
 * handlers, or in strict mode (`containStops`), it runs as `invoke(settling, self, fn, args)`: the
 * Settling takes the listeners' promises, and says to run each listener on its own.
 */
export function runHandlerEvent<S, F extends Function, A extends ArrayLike<unknown>, R>(
  observers: readonly ObserverEntry[], context: HandlerContext, containStops: boolean,
  invoke: Invoke<S, F, A, R>, self: S, fn: F, args: A,
): R {
  const scopes = observers.length === 0 ? undefined : startScopes(observers, context);
  // Nobody follows this handler (no OpenTelemetry SDK, no sink's start): no closure, no Settling.
  if (scopes === undefined) return runUnfollowed(context, containStops, invoke, self, fn, args);
  if (!anyEnds(scopes)) return within(scopes, 0, () => runUnfollowed(context, containStops, invoke, self, fn, args));
  const settling: Settling = { promises: [], handled: true, containStops };
  let result: R;
  try {
    result = within(scopes, 0, () => handlerStorage.run(context, invoke, settling, self, fn, args));
  } catch (error) {
    settle(scopes, settling, [error]);
    rethrow(error);
  }
  settle(scopes, settling, []);
  return result;
}

/** An event whose listeners' work nobody waits for: one run of `fn`, or, to contain strict mode's stops, of `invoke`. */
function runUnfollowed<S, F extends Function, A extends ArrayLike<unknown>, R>(
  context: HandlerContext, containStops: boolean, invoke: Invoke<S, F, A, R>, self: S, fn: F, args: A,
): R {
  return containStops
    ? handlerStorage.run(context, invoke, { promises: [], handled: true, containStops }, self, fn, args)
    : handlerStorage.run(context, Reflect.apply, fn, self, args) as R;
}

/** Calls `fn`; a promise it returns is the handler's work (what observers wait for). */
export function invokeCall(settling: Settling, self: unknown, fn: AnyFunction, args: ArrayLike<unknown>): unknown {
  const result: unknown = Reflect.apply(fn, self, args);
  if (isThenable(result)) settling.promises.push(result);
  return result;
}

const noArgs: readonly unknown[] = Object.freeze([]);

/**
 * Runs `fn` as an event handler: blocking calls in it, its awaits and its timers are judged.
 * Returns what `fn` returns, the same object; a promise it returns is the handler's work (its end,
 * for observers). Observing a promise handles it: with an OpenTelemetry SDK, a rejection of a
 * returned promise that the caller drops is recorded on the handler's span (if it is sampled), not
 * raised.
 */
export function runHandled<R>(observers: readonly ObserverEntry[], info: HandlerInfo, fn: () => R): R {
  return runHandlerEvent(observers, contextFromInfo(info), false, invokeCall, undefined, fn, noArgs) as R;
}

/** The scopes of the observers that follow this handler; undefined (nothing made) when none does. */
function startScopes(observers: readonly ObserverEntry[], context: HandlerContext): Started[] | undefined {
  let scopes: Started[] | undefined;
  for (let i = 0; i < observers.length; i++) {
    const { observer, onError } = observers[i] as ObserverEntry;
    try {
      const scope = observer.start(context);
      if (scope !== undefined) (scopes ??= []).push({ scope, onError });
    } catch (error) {
      onError(error, 'starting a handler observer');
    }
  }
  return scopes;
}

/** Whether a scope waits for the handler's work (has an end). */
function anyEnds(scopes: readonly Started[]): boolean {
  for (let i = 0; i < scopes.length; i++) if ((scopes[i] as Started).scope.end !== undefined) return true;
  return false;
}

function within<R>(scopes: readonly Started[], at: number, fn: () => R): R {
  const started = scopes[at];
  if (started === undefined) return fn();
  // The innermost scope (most often the only one: an unsampled span) runs `fn` itself, no closure.
  return at === scopes.length - 1 ? started.scope.run(fn) : started.scope.run(() => within(scopes, at + 1, fn));
}

function end(scopes: readonly Started[], errors: readonly unknown[]): void {
  for (const { scope, onError } of scopes) {
    try {
      scope.end?.(errors);
    } catch (error) {
      onError(error, 'ending a handler observer');
    }
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

/** Ends the scopes once every promise settled, with the errors they rejected with. */
function settle(scopes: readonly Started[], settling: Settling, errors: unknown[]): void {
  let waiting = settling.promises.length;
  if (waiting === 0) return end(scopes, errors);
  const done = () => {
    if (--waiting === 0) end(scopes, errors);
  };
  for (const promise of settling.promises) {
    try {
      promise.then(done, (error: unknown) => {
        errors.push(error);
        done();
        // The unhandled rejection the app would have had, with the same reason.
        if (!settling.handled) void Promise.reject(error);
      });
    } catch (error) {
      // A thenable whose `then` throws: the emitter saw the same when it called it (or never will).
      errors.push(error);
      done();
    }
  }
}
