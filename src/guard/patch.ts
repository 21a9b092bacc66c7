/*
 * Replacing one function on its owner so that nobody can tell, and putting it back exactly.
 */

export const kOriginal = Symbol.for('loopguard.original');

export interface Patch {
  readonly owner: object;
  readonly key: string;
  readonly original: PropertyDescriptor;
  readonly wrapper: Function;
}

/** Gives `wrapper` the original's name, length and own properties (`realpathSync.native`). */
export function mimic(wrapper: Function, original: Function): void {
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(original))) {
    if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
    try {
      Object.defineProperty(wrapper, key, descriptor);
    } catch {
      // A non-configurable own property of the wrapper itself: keep the wrapper's.
    }
  }
  Object.defineProperty(wrapper, kOriginal, { value: original });
}

/** Installs `wrapper` as `owner[key]`; undefined when the property cannot be replaced. */
export function patch(owner: object, key: string, wrapper: Function): Patch | undefined {
  const original = Object.getOwnPropertyDescriptor(owner, key);
  if (original === undefined || !('value' in original) || typeof original.value !== 'function') return undefined;
  if (!original.configurable && !original.writable) return undefined;
  mimic(wrapper, original.value as Function);
  try {
    if (original.configurable) Object.defineProperty(owner, key, { ...original, value: wrapper });
    else (owner as Record<string, unknown>)[key] = wrapper;
  } catch {
    return undefined;
  }
  if ((owner as Record<string, unknown>)[key] !== wrapper) return undefined; // frozen: assignment ignored
  return { owner, key, original, wrapper };
}

/** Puts the original back; false when something else replaced the wrapper since. */
export function unpatch(p: Patch): boolean {
  if ((p.owner as Record<string, unknown>)[p.key] !== p.wrapper) return false;
  if (p.original.configurable) Object.defineProperty(p.owner, p.key, p.original);
  else (p.owner as Record<string, unknown>)[p.key] = p.original.value;
  return true;
}

/** True when `fn` is a loopguard wrapper (of this or another copy). */
export function isWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && Object.prototype.hasOwnProperty.call(fn, kOriginal);
}
