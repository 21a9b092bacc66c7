import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { onBun } from './bun';
import type { Undo } from './undo';

/*
 * How the app loads its modules, as far as loopguard must know: whether a file is an ES module,
 * and Node's module channel that says each import() before Node resolves it. (Not its require
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

/**
 * Gives `fn` the name of each builtin that Node's list of loaded modules holds from index `from`
 * on, and returns the index to look from next time. The list only grows, so each entry is read
 * once: a library's start-up grows it hundreds of times (Node's internals too), and reading it
 * whole each time was most of what watching for builtins cost there.
 */
export function builtinsLoadedSince(from: number, fn: (name: string) => void): number {
  const end = nodeLoadList.length;
  for (let i = from; i < end; i++) {
    const entry = nodeLoadList[i] as string;
    if (entry.startsWith(builtinEntry)) fn(entry.slice(builtinEntry.length));
  }
  return end;
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

const importAsyncEnd = 'tracing:module.import:asyncEnd';

/**
 * Calls `fn` once each import() has settled (the module and its imports evaluated), before the
 * code that awaited it goes on; where Node has no module channels, never. Returns the undo.
 */
export function onImported(fn: () => void): Undo {
  if (!moduleChannels) return () => {};
  const listener = (): void => fn();
  subscribe(importAsyncEnd, listener);
  return () => unsubscribe(importAsyncEnd, listener);
}

/**
 * Keeps what `begin()` starts going while an import() (as onImport counts them) started after
 * this call is unsettled, from its start to its asyncEnd (the same message), and undoes it when
 * none is. Where Node has no module channels, which tell neither, it is begun now and kept on.
 * An import that never settles keeps it going. Returns the undo.
 */
export function whileImporting(begin: () => Undo): Undo {
  if (!moduleChannels) return begin();
  const counts = esmImports();
  const unsettled = new Set<unknown>();
  let end: Undo | undefined;
  const started = (message: unknown): void => {
    try {
      if (!counts(message)) return;
      unsettled.add(message);
      end ??= begin();
    } catch {
      // never thrown into the app (begin adds an item to a list)
    }
  };
  const settled = (message: unknown): void => {
    if (!unsettled.delete(message) || unsettled.size > 0) return;
    const ending = end;
    end = undefined;
    ending?.();
  };
  subscribe(importStart, started);
  subscribe(importAsyncEnd, settled);
  return () => {
    unsubscribe(importStart, started);
    unsubscribe(importAsyncEnd, settled);
    unsettled.clear();
    end?.();
    end = undefined;
  };
}
