import Module from 'node:module';
import { discoverEntries, loadBuiltin, resolveTargets, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { outsideHandlers } from '../core/context';
import { isNamespace, onImport } from '../core/modules';
import { isWrapper, markLive, replaceFunction, retiredOriginal, type AnyFunction } from '../core/patch';
import { packageOf } from '../core/packages';
import type { Undo, UndoStack } from '../core/undo';
import { listen, type Guard } from './guard';
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

/* node:sqlite prints an ExperimentalWarning when loaded on Node 22: there loopguard never loads it. */
const silentLoads = Number(process.versions.node.split('.')[0]) >= 23;

/**
 * The table's builtins. Those loaded already (fs) are wrapped now, and so is every other one
 * where the app may load them unseen (`eager`: an ES module app, a Node without module
 * channels). Else each is wrapped when the app loads it (require, process.getBuiltinModule), and
 * all at once when the app reaches ES modules (import(), or a require() that returned one): their
 * imports of builtins are not seen one by one, and the ESM views of builtins are refreshed after
 * wrapping. A process that never loads child_process or zlib never loads them for loopguard.
 * `lazy` entries (node:sqlite on Node 22) are never loaded by loopguard: an ES module's import
 * of them is seen by the ExperimentalWarning it emits.
 */
export function wrapBuiltins(guard: Guard, declared: readonly ApiEntry[], eager: boolean, undo: UndoStack, warn: Warn): void {
  const byModule = new Map<string, ApiEntry[]>();
  for (const entry of declared) byModule.set(entry.module, [...(byModule.get(entry.module) ?? []), entry]);
  const wrapModule = (name: string): void => {
    wrapTargets(guard, resolveTargets(discoverEntries(loadBuiltin, byModule.get(name) ?? []), loadBuiltin), undo, warn);
  };
  const quiet = (name: string): boolean => silentLoads || !(byModule.get(name) ?? []).some((e) => e.lazy === true);
  const list = (process as { moduleLoadList?: string[] }).moduleLoadList ?? [];
  const pending = new Set<string>();
  for (const name of byModule.keys()) {
    if (name === 'globalThis' || list.includes(`NativeModule ${name}`) || (eager && quiet(name))) wrapModule(name);
    else pending.add(name);
  }
  if (pending.size === 0) return;
  const loaded = (id: string): void => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!pending.delete(name)) return;
    wrapModule(name);
    syncEsm();
  };
  let stopImports: Undo | undefined;
  const loadAll = (): void => {
    for (const name of [...pending]) if (quiet(name)) loaded(name);
    if (pending.size === 0) stopImports?.(); // the app's later imports are not traced for nothing
  };
  const onLoad = (id: string, exports: unknown): void => {
    try {
      if (isNamespace(exports)) loadAll();
      else loaded(id);
    } catch (error) {
      guard.bus.fail(error, 'wrapping a builtin the app loaded');
    }
  };
  undo.push(listen(guard.loadListeners, onLoad));
  if (!eager) {
    stopImports = onImport(loadAll);
    undo.push(() => stopImports?.());
  }
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
  if (silentLoads || !pending.has('sqlite')) return;
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
