import { EventEmitter } from 'node:events';
import { isBlockingCallError } from '../core/errors';
import { rethrow } from '../core/rethrow';
import type { Settling } from './lifecycle';

/*
 * An emitter's `emit` throws away what its listeners return, so to know when an async handler's
 * work settles, the listeners must be called by someone who keeps the promises. For the two emitter
 * kinds the Discord libraries use, that is done without changing what the app sees:
 * - node:events (discord.js, Oceanic.js, Eris): `emit` is replayed step by step for one event —
 *   the same listener snapshot, `this`, arguments, order and captureRejections handling.
 * - @vladfrangu/async_event_emitter (@discordjs/core): its own `emit` runs and keeps every listener
 *   promise in `_internalPromiseMap` under increasing ids; the new ones are read afterwards.
 * Any other `emit` runs as it is, and the handler ends when it returns.
 */

type Listener = (...args: unknown[]) => unknown;
type Emit = (this: unknown, ...args: unknown[]) => unknown;

interface NodeEmitter {
  _events?: Record<string | symbol, Listener | Listener[] | undefined>;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

interface AsyncEmitter {
  _internalPromiseMap: Map<string, PromiseLike<unknown>>;
  _wrapperId: bigint;
}

const nodeEmit = EventEmitter.prototype.emit;
// node:events keeps captureRejections under a private symbol; found once, by its description.
const kCapture = Object.getOwnPropertySymbols(new EventEmitter()).find((s) => s.description === 'kCapture');
const kRejection = Symbol.for('nodejs.rejection');

/**
 * Calls `emit` on `self` with `args` (event first), putting the listeners' promises in `settling`:
 * a handled event's emit when someone waits for its listeners' work (lifecycle's Invoke).
 */
export function emitSettling(settling: Settling, self: unknown, emit: Function, args: ArrayLike<unknown>): unknown {
  const event = args[0];
  if (emit === nodeEmit && kCapture !== undefined && event !== 'error' && (typeof event === 'string' || typeof event === 'symbol')) {
    return replayNodeEmit(self as NodeEmitter, event, Array.prototype.slice.call(args, 1), settling);
  }
  if (isAsyncEmitter(self)) return collectAsync(self, emit as Emit, args, settling);
  return Reflect.apply(emit, self, args);
}

function isAsyncEmitter(self: unknown): self is AsyncEmitter {
  const s = self as Partial<AsyncEmitter> | null;
  return typeof s === 'object' && s !== null && s._internalPromiseMap instanceof Map && typeof s._wrapperId === 'bigint';
}

function collectAsync(self: AsyncEmitter, emit: Emit, args: ArrayLike<unknown>, settling: Settling): unknown {
  const before = self._wrapperId;
  const result = Reflect.apply(emit, self, args);
  // It attached its own rejection handler to each of them (and emits 'error' on rejection).
  for (let id = before + 1n; id <= self._wrapperId; id++) {
    const promise = self._internalPromiseMap.get(String(id));
    if (promise !== undefined) settling.promises.push(promise);
  }
  return result;
}

/** EventEmitter.prototype.emit for an event other than 'error' (Node 20–26), keeping the results. */
function replayNodeEmit(self: NodeEmitter, event: string | symbol, args: unknown[], settling: Settling): boolean {
  const handler = self._events?.[event];
  if (handler === undefined) return false;
  const capture = (self as unknown as Record<symbol, unknown>)[kCapture as symbol] === true;
  settling.handled = capture;
  if (typeof handler === 'function') {
    call(self, handler, event, args, capture, settling);
  } else {
    const listeners = handler.slice();
    for (let i = 0; i < listeners.length; i++) call(self, listeners[i] as Listener, event, args, capture, settling);
  }
  return true;
}

/**
 * `run()`, or `stopped` when strict mode stopped a call in it (a BlockingCallError, reported
 * already). Any other error goes on. Only strict mode catches: elsewhere an uncaught error keeps
 * the place Node prints for it.
 */
export function containingStops<R, S>(run: () => R, stopped: S): R | S {
  try {
    return run();
  } catch (error) {
    if (isBlockingCallError(error)) return stopped;
    rethrow(error);
  }
}

const stoppedListener = Symbol('stopped');

/** One listener; in strict mode, the one stopped by a BlockingCallError ends there and the others still run. */
function call(self: NodeEmitter, listener: Listener, event: string | symbol, args: unknown[], capture: boolean, settling: Settling): void {
  const result: unknown = settling.containStops
    ? containingStops(() => Reflect.apply(listener, self, args), stoppedListener)
    : Reflect.apply(listener, self, args);
  if (result !== stoppedListener) keep(self, result, event, args, capture, settling);
}

function keep(self: NodeEmitter, result: unknown, event: string | symbol, args: unknown[], capture: boolean, settling: Settling): void {
  if (result === undefined || result === null) return;
  let then: unknown;
  try {
    then = (result as { then?: unknown }).then;
  } catch (error) {
    if (capture) self.emit('error', error);
    return;
  }
  if (typeof then !== 'function') return;
  if (capture) addCatch(self, result as PromiseLike<unknown>, then as PromiseLike<unknown>['then'], event, args);
  settling.promises.push(result as PromiseLike<unknown>);
}

/** What node:events does with a listener's promise under captureRejections. */
function addCatch(self: NodeEmitter, promise: PromiseLike<unknown>, then: PromiseLike<unknown>['then'], event: string | symbol, args: unknown[]): void {
  try {
    Reflect.apply(then, promise, [undefined, (error: unknown) => {
      process.nextTick(emitRejection, self, error, event, args);
    }]);
  } catch (error) {
    self.emit('error', error);
  }
}

function emitRejection(self: NodeEmitter, error: unknown, event: string | symbol, args: unknown[]): void {
  const onRejection = (self as unknown as Record<symbol, unknown>)[kRejection];
  if (typeof onRejection === 'function') {
    Reflect.apply(onRejection, self, [error, event, ...args]);
    return;
  }
  const target = self as unknown as Record<symbol, unknown>;
  const previous = target[kCapture as symbol];
  try {
    target[kCapture as symbol] = false;
    self.emit('error', error);
  } finally {
    target[kCapture as symbol] = previous;
  }
}
