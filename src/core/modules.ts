import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { onBun } from './bun';
import type { Undo } from './undo';

/*
 * How the app loads its modules, as far as loopguard must know: whether a file is an ES module,
 * each builtin as Node loads it (onBuiltinLoad), and Node's module channel that says each import()
 * before Node resolves it. (Not its require
 * channel: with a subscriber, Node runs every require, the entry's too, in a function that catches
 * and throws again, and an uncaught error then prints that line as its place.)
 */

/**
 * Node's list of what it has loaded of its own, builtins as `NativeModule <name>`
 * (process.moduleLoadList): the same array, growing, so its length tells whether anything was
 * loaded since. Empty on Bun, which keeps none.
 */
export const nodeLoadList: readonly string[] = (process as { moduleLoadList?: readonly string[] }).moduleLoadList ?? [];

const builtinEntry = 'NativeModule ';

/** Whether Node has loaded builtin `name` (`fs`, `worker_threads`); false on Bun. */
export function isBuiltinLoaded(name: string): boolean {
  return nodeLoadList.includes(`${builtinEntry}${name}`);
}

type LoadWatcher = (name: string) => void;

/** The watchers of onBuiltinLoad, and the prototype the list has while there are any. */
interface LoadTrap {
  readonly watchers: Set<LoadWatcher>;
  readonly proto: object;
  /** The indices from the list's length up to this one have the trap's accessor. */
  armedTo: number;
  /** The list's length as far as the trap saw it grow. */
  seenTo: number;
}

/*
 * Accessors set in batches: changing a prototype's properties costs V8 about 1.5 us (what
 * depends on its shape is invalidated), against 0.1 us for an entry's own property. One left
 * behind an entry is shadowed by it (and is a trap again if the list is ever cut back to it).
 */
const armedBatch = 64;

let loadTrap: LoadTrap | undefined;

function arm(trap: LoadTrap, from: number): void {
  trap.armedTo = from + armedBatch;
  for (let index = from; index < trap.armedTo; index++) {
    Object.defineProperty(trap.proto, index, {
      configurable: true,
      get: () => undefined,
      set(this: unknown[], value: unknown) {
        recordLoad(trap, this, index, value);
      },
    });
  }
}

function own(list: unknown[], index: number, value: unknown): void {
  Object.defineProperty(list, index, { value, writable: true, enumerable: true, configurable: true });
}

function recordLoad(trap: LoadTrap, list: unknown[], index: number, value: unknown): void {
  own(list, index, value);
  if (list !== nodeLoadList) return; // set on an object made from the list (never Node's own)
  if (index >= trap.seenTo) trap.seenTo = index + 1;
  if (index + 1 >= trap.armedTo && loadTrap === trap) arm(trap, trap.armedTo);
  if (typeof value !== 'string' || !value.startsWith(builtinEntry)) return;
  const name = value.slice(builtinEntry.length);
  for (const watch of [...trap.watchers]) {
    try {
      watch(name);
    } catch {
      // a watcher says its own failures; none reaches Node's loader
    }
  }
  // Node's push writes the list's length after this setter returns: what a watcher's work loaded
  // meanwhile (entries from index + 1 on) is cut off. Put back at the next microtask.
  if (list.length <= index + 1) return;
  const cut = list.slice(index + 1);
  queueMicrotask(() => {
    for (const entry of cut) own(list, list.length, entry);
    if (list.length > trap.seenTo) trap.seenTo = list.length;
  });
}

/**
 * Calls `watch` with the name of each builtin Node loads from now on (`worker_threads`, `zlib`),
 * as Node records it in its list: after the builtin's own code ran, before the require() or the
 * ES module that loaded it has it, also an ES module's static import, which nothing else shows
 * before that module is evaluated. `watch` runs inside Node's loader: it must be short; what it
 * loads itself is told from inside it. Its throw is dropped. Nothing on Bun (no list). Returns
 * the undo.
 *
 * Node adds each entry with the list's push (`Array.prototype.push`, kept by its loader before any
 * code runs), which sets the entry at the list's length: an accessor there on the list's own
 * prototype (an array's, with those accessors more) sees it, and leaves the entry where Node put it.
 */
export function onBuiltinLoad(watch: LoadWatcher): Undo {
  const list = nodeLoadList as unknown[];
  if (list.length === 0) return () => {};
  if (loadTrap === undefined) {
    const trap: LoadTrap = { watchers: new Set(), proto: Object.create(Object.getPrototypeOf(list) as object) as object, armedTo: 0, seenTo: list.length };
    arm(trap, list.length);
    // Reflect's: false, not a throw into the app's start-up, where the list takes no prototype.
    Reflect.setPrototypeOf(list, trap.proto);
    loadTrap = trap;
  }
  const trap = loadTrap;
  trap.watchers.add(watch);
  return () => {
    trap.watchers.delete(watch);
    if (trap.watchers.size > 0 || loadTrap !== trap) return;
    loadTrap = undefined;
    // Another tool's prototype above it stays (require-in-the-middle's soft unhook, for a list);
    // the trap, left in its chain then, tells no one.
    if (Object.getPrototypeOf(list) === trap.proto) Object.setPrototypeOf(list, Object.getPrototypeOf(trap.proto) as object);
  };
}

/**
 * Whether Node's list holds entries that onBuiltinLoad did not see added: a Node that adds them
 * some other way than the push it is built on (every Node from 20 to 26 uses it), or another tool
 * that took the trap away. False while nothing watches, and on Bun.
 */
export function loadsUnseen(): boolean {
  return loadTrap !== undefined && nodeLoadList.length > loadTrap.seenTo;
}

/**
 * Whether Node loads `file` as an ES module (by its extension, else the "type" of the nearest
 * package.json). Folders without one are passed by existsSync: a failed read makes an error with
 * its stack, some 30 KB of garbage per folder at start-up.
 */
export function isEsModule(file: string): boolean {
  if (/\.m[jt]s$/.test(file)) return true;
  if (/\.c[jt]s$/.test(file)) return false;
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false; // Node fails to load it (ERR_INVALID_PACKAGE_CONFIG) either way
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** The app's entry file (process.argv[1]), as far as loading it goes. */
export interface Entry {
  readonly file: string;
  readonly esModule: boolean;
}

let entry: Entry | undefined;

/**
 * The app's entry, undefined without one (`node -e`, the REPL). Its kind is read once per file
 * (several of loopguard's hooks ask at install, and reading it reads package.json files).
 */
export function appEntry(): Entry | undefined {
  const file = process.argv[1];
  if (file === undefined) return undefined;
  if (entry?.file !== file) entry = { file, esModule: isEsModule(file) };
  return entry;
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

/**
 * Whether Node publishes its module channels (22.15 and 24 on, as measured; not Bun). A channel
 * nobody publishes on looks like a quiet one, so this goes by version.
 */
export const moduleChannels: boolean = !onBun && (major >= 24 || (major === 22 && minor >= 15));

const importStart = 'tracing:module.import:start';

/**
 * Whether a module channel's message is an import whose modules the app's requires do not show:
 * all but Node's import of a CommonJS entry (with `--import`, Node 24 imports that too).
 */
function esmImports(): (message: unknown) => boolean {
  const entry = appEntry();
  const commonJsEntry = entry === undefined || entry.esModule ? undefined : pathToFileURL(resolve(entry.file)).href;
  return (message) => {
    const id = (message as { id?: unknown } | null)?.id;
    return commonJsEntry === undefined || id === undefined || String(id) !== commonJsEntry;
  };
}

/**
 * Calls `fn` at each import() Node starts — also its own import of an ES module entry or of an
 * `--import` preload — before it resolves anything; not at its import of a CommonJS entry, whose
 * requires are seen one by one. A throw of `fn` is dropped (a subscriber's throw would reach the
 * app). Returns the undo.
 */
export function onImport(fn: () => void): Undo {
  const counts = esmImports();
  const listener = (message: unknown): void => {
    try {
      if (counts(message)) fn();
    } catch {
      // loopguard's own failure: said by fn where it matters, never thrown into the app
    }
  };
  subscribe(importStart, listener);
  return () => unsubscribe(importStart, listener);
}
