import { Module } from 'node:module';
import { discoverEntries, loadBuiltin, resolveTargets, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { onBun } from '../core/bun';
import { groupBy } from '../core/group';
import { isBuiltinLoaded, loadsUnseen, onBuiltinLoad } from '../core/modules';
import { isWrapper, markLive, replaceFunction, retiredOriginal, type AnyFunction, type Replaced } from '../core/patch';
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

/**
 * The require wrapper, put in place when something first needs it (the returned function): a
 * handler starts (its requires are judged), the guard judges everywhere (`scope: all`), or a
 * listener waits for requires (guard.requireListeners). Until then it would have nothing to do,
 * and a library's start-up makes thousands of requires: discord.js 2,057, which the wrapper took
 * about 6 M instructions of on Node 24. Its undo is pushed now, at its place in the stack.
 */
export function requireWrapping(guard: Guard, undo: UndoStack): () => void {
  let replaced: Replaced | undefined;
  let done = false;
  undo.push(() => {
    done = true; // uninstalled: never wrapped from now on
    replaced?.undo();
    replaced = undefined;
  });
  return () => {
    if (done) return;
    done = true;
    const proto = Module.prototype as unknown as Record<string, unknown>;
    if (isWrapper(proto['require'])) return; // another copy of loopguard's
    replaced = replaceFunction(proto, 'require', requireWrapper(guard, proto['require'] as (this: unknown, id: string) => unknown));
  };
}

/**
 * The table's builtins. Those loaded already (fs) are wrapped now; each other one as Node loads
 * it (core/modules.ts' onBuiltinLoad), so that a process that never loads child_process or zlib
 * never loads them for loopguard: before the require(), the process.getBuiltinModule() or the ES
 * module that loaded it has it, whatever loaded it (the app, a file or an ES module of a package,
 * Node itself). On Bun, which says no load, all are wrapped now. Returns the check for the first
 * turn of the loop: where the loads were not seen (loadsUnseen), it says so once and wraps the
 * builtins loaded by then; those loaded later are not wrapped.
 */
export function wrapBuiltins(guard: Guard, declared: readonly ApiEntry[], undo: UndoStack, warn: Warn): () => void {
  const byModule = groupBy(declared, (entry) => entry.module);
  const wrapModule = (name: string): void => {
    wrapTargets(guard, resolveTargets(discoverEntries(loadBuiltin, byModule.get(name) ?? []), loadBuiltin), undo, warn);
  };
  const pending = new Set<string>();
  for (const name of byModule.keys()) {
    if (name === 'globalThis' || onBun || isBuiltinLoaded(name)) wrapModule(name);
    else if (Module.isBuiltin(`node:${name}`)) pending.add(name); // not node:sqlite on Node 20
  }
  if (pending.size === 0) return () => {};
  let stop: Undo | undefined;
  const loaded = (name: string): void => {
    if (!pending.delete(name)) return;
    try {
      wrapModule(name);
      syncEsm(); // its ES module view, if loadBuiltin made it before the wrappers were in place
    } catch (error) {
      guard.bus.fail(error, 'wrapping a builtin the app loaded');
    }
    if (pending.size === 0) {
      stop?.(); // nothing left to look for
      stop = undefined;
    }
  };
  stop = onBuiltinLoad(loaded);
  undo.push(() => {
    stop?.();
    stop = undefined;
  });
  return () => {
    try {
      if (stop === undefined || !loadsUnseen()) return;
      for (const name of [...pending]) if (isBuiltinLoaded(name)) loaded(name);
      if (pending.size > 0) warn('load-list', `on Node ${process.versions.node}, loopguard does not see Node load its builtins (process.moduleLoadList): ${[...pending].join(', ')} are not guarded if the app loads them from now on; please report it`);
    } catch (error) {
      guard.bus.fail(error, 'looking at the builtins loaded at start-up');
    }
  };
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
