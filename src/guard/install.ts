import { Module } from 'node:module';
import { discoverEntries, loadBuiltin, resolveTargets, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { onBun } from '../core/bun';
import { groupBy } from '../core/group';
import { builtinsLoadedSince, isBuiltinLoaded, nodeLoadList, onImported, whileImporting } from '../core/modules';
import { isWrapper, markLive, replaceFunction, retiredOriginal, type AnyFunction } from '../core/patch';
import { packageOf } from '../core/packages';
import type { Undo, UndoStack } from '../core/undo';
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

/** process.getBuiltinModule() (Node 20.16+, 22.3+) tells the load listeners too, as a require() does. */
export function wrapGetBuiltinModule(guard: Guard, undo: UndoStack): void {
  const proc = process as unknown as Record<string, unknown>;
  const original = proc['getBuiltinModule'];
  if (typeof original !== 'function' || isWrapper(original)) return;
  const replaced = replaceFunction(proc, 'getBuiltinModule', function (this: unknown, id: unknown) {
    const mod: unknown = Reflect.apply(original, this, arguments);
    const listeners = guard.loadListeners.items;
    if (typeof id === 'string' && listeners.length > 0) for (const listener of listeners) listener(id, mod);
    return mod;
  });
  undo.push(replaced === undefined ? undefined : () => replaced.undo());
}

/**
 * The table's builtins. Those loaded already (fs) are wrapped now; each other one once it is
 * loaded, so that a process that never loads child_process or zlib never loads them for
 * loopguard. What loaded one shows in Node's list of loaded modules, which is looked at (its new
 * entries only) after each require() or process.getBuiltinModule() that grew it: the builtin
 * itself, or a file or an ES module (require of ESM) that loaded it. An ES module's import of one
 * is not seen by itself, so the list is also looked at when a handler starts (one comparison of
 * its length while nothing new was loaded; where Node has module channels, only while an
 * import() is unsettled) and after an import() (where Node says so). What was loaded since is
 * wrapped, and the ESM views of builtins are refreshed before any handler calls them. On Bun,
 * which keeps no such list, all are wrapped now.
 */
export function wrapBuiltins(guard: Guard, declared: readonly ApiEntry[], undo: UndoStack, warn: Warn): void {
  const byModule = groupBy(declared, (entry) => entry.module);
  const wrapModule = (name: string): void => {
    wrapTargets(guard, resolveTargets(discoverEntries(loadBuiltin, byModule.get(name) ?? []), loadBuiltin), undo, warn);
  };
  const pending = new Set<string>();
  for (const name of byModule.keys()) {
    if (name === 'globalThis' || onBun || isBuiltinLoaded(name)) wrapModule(name);
    else if (Module.isBuiltin(`node:${name}`)) pending.add(name); // not node:sqlite on Node 20
  }
  if (pending.size === 0) return;
  const stops: Undo[] = [];
  const loaded = (id: string): void => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!pending.delete(name)) return;
    wrapModule(name);
    syncEsm();
    if (pending.size === 0) for (const stop of stops.splice(0)) stop(); // nothing left to look for
  };
  let seen = nodeLoadList.length;
  const loadedSince = (): void => {
    if (nodeLoadList.length === seen) return;
    seen = builtinsLoadedSince(seen, (name) => {
      if (pending.has(name)) loaded(name);
    });
  };
  const fails = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      guard.bus.fail(error, what);
    }
  };
  // Stopped once nothing is pending.
  stops.push(onImported(() => fails('wrapping the builtins an import() loaded', loadedSince)));
  // A handler that starts while an ES module is still evaluated (its top-level await) may meet a
  // builtin it imported. Where Node says when imports start and settle, handlers are looked at
  // only while one is unsettled; elsewhere at every start.
  const lookAtStart = (): Undo => guard.bus.handlerObservers.add({
    observer: { start: () => (loadedSince(), undefined) },
    onError: (error, where) => guard.bus.fail(error, where),
  });
  stops.push(whileImporting(lookAtStart));
  // A require that loaded a builtin (itself, or a file or an ES module that loaded one) grew
  // Node's list of loaded modules; most requires did not.
  stops.push(guard.loadListeners.add(() => {
    if (nodeLoadList.length !== seen) fails('wrapping a builtin the app loaded', loadedSince);
  }));
  undo.push(() => {
    for (const stop of stops.splice(0)) stop();
  });
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
