import { Module } from 'node:module';
import type { Undo } from '../core/undo';

/*
 * Sees every CommonJS file Node loads, once it has run, with nothing resolved and no frame of
 * loopguard's on the stack while the file runs: the last step of Node's Module.prototype.load
 * (Node 20 to 26) is `this.loaded = true`, and an accessor on Module.prototype takes that
 * assignment. It then makes `loaded` the module's own data property, as the assignment would have,
 * so a loaded module looks as in plain Node. Until then a module's `loaded` (false, from its
 * constructor) is kept aside and read through the accessor. Not for Bun, whose loader assigns
 * nothing through Module.prototype (package-files.ts uses require-in-the-middle there).
 */

type Loaded = (filename: string, exports: unknown) => void;

/** Calls `onLoaded` as each CommonJS module finishes loading. Undefined when `loaded` cannot be watched. */
export function watchModuleLoads(onLoaded: Loaded): Undo | undefined {
  const proto = Module.prototype as object;
  const before = Object.getOwnPropertyDescriptor(proto, 'loaded');
  // Only an accessor can be chained (another copy of loopguard, another tool); a data property is not Node's.
  if (before !== undefined && (!before.configurable || 'value' in before)) return undefined;
  const pending = new WeakMap<object, unknown>();
  let live = true;

  const own = (module: object, value: unknown): void => {
    Object.defineProperty(module, 'loaded', { value, writable: true, enumerable: true, configurable: true });
  };
  const get = function (this: object): unknown {
    return before?.get !== undefined ? before.get.call(this) : pending.get(this);
  };
  const set = function (this: Module, value: unknown): void {
    if (before?.set !== undefined) before.set.call(this, value);
    else if (value === true) own(this, value);
    else pending.set(this, value);
    if (value !== true || !live) return;
    try {
      onLoaded(this.filename, this.exports);
    } catch {
      // Node's load must finish whatever happens here: the hooks report their own failures.
    }
  };
  Object.defineProperty(proto, 'loaded', { get, set, enumerable: false, configurable: true });

  return () => {
    live = false;
    // Something that chained onto this accessor keeps it: it then keeps modules' values and tells nobody.
    if (Object.getOwnPropertyDescriptor(proto, 'loaded')?.set !== set) return;
    if (before === undefined) delete (proto as { loaded?: unknown }).loaded;
    else Object.defineProperty(proto, 'loaded', before);
    // Modules still loading (the one calling uninstall, its parents) get their value back as their own.
    if (before !== undefined) return;
    for (const module of Object.values(require.cache)) {
      if (module !== undefined && !Object.prototype.hasOwnProperty.call(module, 'loaded') && pending.has(module)) own(module, pending.get(module));
    }
  };
}
