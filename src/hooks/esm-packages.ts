import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Hook as IitmHook } from 'import-in-the-middle';
import type { Undo } from '../core/undo';

/*
 * For packages whose ESM build is a separate file (@discordjs/core's dist/index.mjs, bcryptjs'
 * index.js) or that are ESM only (enmap), no require hook can see the ESM app's import.
 * import-in-the-middle's loader hook can: in-thread (module.registerHooks) where Node supports
 * it (Node 22.15+). The loader is registered only when such a package is installed where the app
 * runs, and only intercepts those packages.
 */

export interface EsmHook {
  readonly package: string;
  /** Patches the module's namespace (import-in-the-middle's view of it: setting a name rebinds it). */
  patch(namespace: Record<string, unknown>): (() => void) | undefined;
  onError(error: unknown): void;
}

type SyncLoader = { register(options: { include: string[] }): void };

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg, { paths: [process.cwd()] });
    return true;
  } catch {
    return false;
  }
}

/**
 * supports-sync-hooks.mjs imports nothing, so asking it does not set up the loader itself. It
 * judges by Node's version: Bun, which says it is a recent Node, has no module.registerHooks.
 */
function syncHooksSupported(): boolean {
  if (typeof (Module as { registerHooks?: unknown }).registerHooks !== 'function') return false;
  try {
    return (require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean }).supportsSyncHooks();
  } catch {
    return false; // require(esm) is not available on this Node
  }
}

/*
 * Only in-thread hooks. Node 20 (and 22 before 22.15) can hook ESM only through a loader thread
 * (module.register), and that thread changes how a process ends: its output, piped into the
 * process' stdout, keeps the loop alive after the app is done, so `node app.mjs | head -1` exits
 * 1 with EPIPE where plain Node exits 0. There, these packages' ESM builds are not hooked.
 */
function registerLoader(include: string[]): boolean {
  if (!syncHooksSupported()) return false;
  (require('import-in-the-middle/register-hooks.mjs') as SyncLoader).register({ include });
  return true;
}

/** Whether the app's entry file is an ES module (by its extension, else its package's "type"). */
function entryIsEsm(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  if (/\.m[jt]s$/.test(entry)) return true;
  if (/\.c[jt]s$/.test(entry)) return false;
  for (let dir = dirname(resolve(entry)); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type === 'module';
    } catch {
      if (dirname(dir) === dir) return false;
    }
  }
}

let registered = false;

/** `onUnhooked`: this Node cannot hook them in-thread, and the app is an ES module (it may import them). */
export function hookEsmPackages(hooks: readonly EsmHook[], onUnhooked: (packages: readonly string[]) => void): Undo | undefined {
  // Preloads run again in worker threads, Node 20's loader-hooks thread among them: the loader
  // is registered from the main thread only.
  if (!isMainThread) return undefined;
  // No entry file (node -e/-p, the REPL): no ESM app to hook, and the in-thread loader gets in the
  // way of the evaluated script's requires on Node 22+.
  if (process.argv[1] === undefined || typeof (process as { _eval?: unknown })._eval === 'string') return undefined;
  const present = new Map<string, boolean>();
  const wanted = hooks.filter((h) => {
    if (!present.has(h.package)) present.set(h.package, installed(h.package));
    return present.get(h.package) === true;
  });
  if (wanted.length === 0) return undefined;
  const packages = [...new Set(wanted.map((h) => h.package))];
  try {
    if (!registered && !registerLoader(packages)) {
      if (entryIsEsm()) onUnhooked(packages);
      return undefined;
    }
    registered = true;
  } catch (error) {
    for (const h of wanted) h.onError(error);
    return undefined;
  }
  const undos: Undo[] = [];
  // Loaded only here: an app without these packages (or on a Node that cannot hook them) never pays for it.
  const { Hook } = require('import-in-the-middle') as { Hook: typeof IitmHook };
  const hook = new Hook(packages, (exported, name) => {
    for (const h of wanted) {
      if (h.package !== name) continue;
      try {
        const undo = h.patch(exported);
        if (undo !== undefined) undos.push(undo);
      } catch (error) {
        h.onError(error);
      }
    }
  });
  return () => {
    hook.unhook();
    for (const undo of undos.reverse()) undo();
  };
}
