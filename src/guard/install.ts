import Module from 'node:module';
import { loadBuiltin, resolveTargets, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { outsideHandlers } from '../core/context';
import { isWrapper, markLive, replaceFunction, retiredOriginal, type AnyFunction } from '../core/patch';
import { packageOf } from '../core/packages';
import type { UndoStack } from '../core/undo';
import type { Guard } from './guard';
import { requireWrapper } from './module-load';
import { apiWrapper } from './wrapper';

/*
 * Putting the guard in place: the wrappers of the API table's functions, of `require`, and of the
 * builtins that are wrapped only once the app loads them. Each step pushes its undo.
 */

export type Warn = (key: string, text: string) => void;

/** Wraps each target (skipping those another copy of loopguard wraps already). */
export function wrapTargets(guard: Guard, targets: readonly Target[], undo: UndoStack, warn: Warn): void {
  for (const target of targets) {
    let current = (target.owner as Record<string, unknown>)[target.key];
    const retired = retiredOriginal(current);
    if (retired !== undefined) current = retired;
    else if (isWrapper(current)) continue; // another copy of loopguard guards it
    const g = guard.add(target.entry);
    const wrapper = apiWrapper(guard, g, current as AnyFunction);
    markLive(wrapper, () => !guard.retired);
    const replaced = replaceFunction(target.owner, target.key, wrapper);
    if (replaced === undefined) {
      warn(`patch:${target.entry.api}`, `${target.entry.api} cannot be replaced here (frozen?); calls to it are not seen`);
      continue;
    }
    undo.push(() => {
      if (!replaced.undo()) warn(`unpatch:${replaced.key}`, `${target.entry.api} was wrapped again by another tool after loopguard; its wrapper stays and calls straight through`);
    });
  }
}

/** ESM views of builtins are copies made on first import: this refreshes named imports. */
export function syncEsm(): void {
  Module.syncBuiltinESMExports();
}

export function wrapRequire(guard: Guard, undo: UndoStack): void {
  const proto = Module.prototype as unknown as Record<string, unknown>;
  if (isWrapper(proto['require'])) return;
  const replaced = replaceFunction(proto, 'require', requireWrapper(guard, proto['require'] as (this: unknown, id: string) => unknown));
  undo.push(replaced === undefined ? undefined : () => replaced.undo());
}

/* node:sqlite prints an ExperimentalWarning when loaded on Node 22, so there it is wrapped when the app loads it. */
const eagerLazyModules = Number(process.versions.node.split('.')[0]) >= 23;

/** The table's `lazy` builtins: wrapped now where loading them is silent, else when the app loads them. */
export function wrapLazyBuiltins(guard: Guard, entries: readonly ApiEntry[], undo: UndoStack, warn: Warn): void {
  const lazy = entries.filter((e) => e.lazy === true);
  if (lazy.length === 0) return;
  if (eagerLazyModules) {
    wrapTargets(guard, resolveTargets(lazy, loadBuiltin), undo, warn);
    return;
  }
  const pending = new Set(lazy.map((e) => e.module));
  const loaded = (id: string): void => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!pending.has(name)) return;
    pending.delete(name);
    wrapTargets(guard, resolveTargets(lazy.filter((e) => e.module === name), loadBuiltin), undo, warn);
    syncEsm();
  };
  // Loaded before loopguard: loading it again shows nothing.
  const list = (process as { moduleLoadList?: string[] }).moduleLoadList ?? [];
  for (const name of [...pending]) if (list.includes(`NativeModule ${name}`)) loaded(name);
  if (pending.size === 0) return;
  // require() (CommonJS) and process.getBuiltinModule() hand the module back synchronously.
  guard.loadListeners.push(loaded);
  undo.push(() => {
    const at = guard.loadListeners.indexOf(loaded);
    if (at >= 0) guard.loadListeners.splice(at, 1);
  });
  const proc = process as unknown as Record<string, unknown>;
  if (typeof proc['getBuiltinModule'] === 'function') {
    const original = proc['getBuiltinModule'] as AnyFunction;
    const replaced = replaceFunction(proc, 'getBuiltinModule', function (this: unknown, id: unknown) {
      const mod = Reflect.apply(original, this, arguments);
      if (typeof id === 'string') loaded(id);
      return mod;
    });
    undo.push(replaced === undefined ? undefined : () => replaced.undo());
  }
  // An ESM import is seen only through the ExperimentalWarning its loading emits; the module
  // body finishes before any importer runs, so wrapping in a microtask is in time.
  const emitWarning = proc['emitWarning'] as AnyFunction;
  const replaced = replaceFunction(proc, 'emitWarning', function (this: unknown, warning: unknown) {
    const text = warning instanceof Error ? warning.message : String(warning);
    if (text.startsWith('SQLite is an experimental feature')) outsideHandlers(() => queueMicrotask(() => loaded('sqlite')));
    return Reflect.apply(emitWarning, this, arguments);
  });
  undo.push(replaced === undefined ? undefined : () => replaced.undo());
}

/*
 * Libraries that copy Node functions when they load: loaded before loopguard, their copies are
 * the unwrapped originals. Said once, since only the load order can fix it.
 */
const earlyCopiers: Readonly<Record<string, string>> = {
  'graceful-fs': 'copies of fs functions, which are',
  'sync-fetch': 'copy of child_process.execFileSync, which is',
};

export function warnAboutEarlyCopies(warn: Warn): void {
  const loaded = new Set(Object.keys(require.cache).map(packageOf));
  for (const [name, what] of Object.entries(earlyCopiers)) {
    if (loaded.has(name)) warn(`early:${name}`, `${name} was loaded before loopguard and keeps its own ${what} not guarded; load loopguard first (node -r loopguard/register)`);
  }
}
