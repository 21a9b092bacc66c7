import { kOriginal, mimic } from '../guard/patch';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Replaces `proto[name]` with `make(original)`, as an own property (also when the method was
 * inherited). Returns the undo, or undefined when there is nothing to patch or it is patched.
 */
export function wrapMethod(proto: object | undefined, name: string, make: (original: Method) => Method): (() => void) | undefined {
  if (proto === undefined || proto === null) return undefined;
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== 'function' || Object.prototype.hasOwnProperty.call(original, kOriginal)) return undefined;
  const own = Object.getOwnPropertyDescriptor(proto, name);
  const wrapper = make(original as Method);
  mimic(wrapper, original);
  Object.defineProperty(proto, name, { value: wrapper, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
  return () => {
    if ((proto as Record<string, unknown>)[name] !== wrapper) return;
    if (own === undefined) delete (proto as Record<string, unknown>)[name];
    else Object.defineProperty(proto, name, own);
  };
}

/** Runs every undo, last first. */
export function undoAll(undos: readonly ((() => void) | undefined)[]): (() => void) | undefined {
  const list = undos.filter((u): u is () => void => u !== undefined);
  if (list.length === 0) return undefined;
  return () => {
    for (const undo of list.reverse()) undo();
  };
}
