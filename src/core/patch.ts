import { kOriginal, kWrapperLive } from './symbols';
import type { Undo } from './undo';

/*
 * Replacing a function where the app finds it, so that nobody can tell, and putting it back
 * exactly: the one patch primitive, for Node's APIs, npm packages' and the bot libraries' methods.
 * A wrapper that cannot be taken out again (another tool wrapped it in turn) stays, and must then
 * call straight through: its maker decides that from its own state (require-in-the-middle's soft
 * unhook).
 */

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Gives `wrapper` the original's name, length and own properties (`realpathSync.native`), and marks it. */
export function mimic(wrapper: Function, original: Function): void {
  // One name at a time: this runs for every function wrapped at start-up.
  for (const key of Object.getOwnPropertyNames(original)) {
    if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
    try {
      Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key) as PropertyDescriptor);
    } catch {
      // A non-configurable own property of the wrapper itself: keep the wrapper's.
    }
  }
  Object.defineProperty(wrapper, kOriginal, { value: original });
}

/** True when `fn` is a loopguard wrapper (of this or another copy). */
export function isWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && Object.prototype.hasOwnProperty.call(fn, kOriginal);
}

/**
 * A loopguard wrapper whose runtime was uninstalled (it stayed because another tool wrapped it in
 * turn, and was put back later): the function it wraps. Otherwise undefined.
 */
export function retiredOriginal(fn: unknown): Function | undefined {
  if (!isWrapper(fn)) return undefined;
  const live = (fn as { [kWrapperLive]?: () => boolean })[kWrapperLive];
  return typeof live === 'function' && !live() ? (fn as { [kOriginal]: Function })[kOriginal] : undefined;
}

/** Marks `wrapper` with whether its runtime still guards (see retiredOriginal). */
export function markLive(wrapper: Function, live: () => boolean): void {
  Object.defineProperty(wrapper, kWrapperLive, { value: live });
}

/** What `replaceFunction` did: `undo()` is false when something replaced the wrapper since. */
export interface Replaced {
  readonly key: string;
  undo(): boolean;
}

/**
 * Replaces the own function property `owner[key]` with `wrapper`, keeping the property's
 * attributes. Undefined when it cannot (absent, not a function, frozen).
 */
export function replaceFunction(owner: object, key: string, wrapper: Function): Replaced | undefined {
  const original = Object.getOwnPropertyDescriptor(owner, key);
  if (original === undefined || !('value' in original) || typeof original.value !== 'function') return undefined;
  if (!original.configurable && !original.writable) return undefined;
  mimic(wrapper, original.value as Function);
  const slot = owner as Record<string, unknown>;
  try {
    if (original.configurable) Object.defineProperty(owner, key, { ...original, value: wrapper });
    else slot[key] = wrapper;
  } catch {
    return undefined;
  }
  if (slot[key] !== wrapper) return undefined; // frozen: the assignment was ignored
  return {
    key,
    undo() {
      if (slot[key] !== wrapper) return false;
      if (original.configurable) Object.defineProperty(owner, key, original);
      else slot[key] = original.value;
      return true;
    },
  };
}

/**
 * Replaces `proto[name]` with `make(original)` as an own property, also when the method was
 * inherited. Undefined when there is nothing to patch or it is a loopguard wrapper already. The
 * undo leaves a wrapper that something replaced since in place.
 */
export function wrapMethod(proto: object | undefined | null, name: string, make: (original: AnyFunction) => AnyFunction): Undo | undefined {
  if (proto === undefined || proto === null) return undefined;
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== 'function' || isWrapper(original)) return undefined;
  const own = Object.getOwnPropertyDescriptor(proto, name);
  const wrapper = make(original as AnyFunction);
  mimic(wrapper, original);
  Object.defineProperty(proto, name, { value: wrapper, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
  return () => {
    if ((proto as Record<string, unknown>)[name] !== wrapper) return;
    if (own === undefined) delete (proto as Record<string, unknown>)[name];
    else Object.defineProperty(proto, name, own);
  };
}
