import { existsSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { join } from 'node:path';
import type { Hook as IitmHook } from 'import-in-the-middle';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { appEntry, isEsModule, moduleChannels, onImport } from '../core/modules';
import { packageOfFile } from '../core/packages';
import type { Undo } from '../core/undo';

/*
 * For packages whose ESM build is a separate file (@discordjs/core's dist/index.mjs, bcryptjs'
 * index.js) or that are ESM only (enmap), no require hook can see an import of them.
 * import-in-the-middle's loader hook can: in-thread (module.registerHooks) where Node supports
 * it (22.22.3+, 24.11.1+, 25.1+). The loader is registered only when such a package is installed
 * where the app runs, and only intercepts those packages. Registering it costs: loading
 * import-in-the-middle, and every later module load goes through Node's hooks path (a discord.js
 * bot's READY about 35 ms later on Node 24). So an ES module app gets it at once, and a CommonJS
 * app only when it first reaches an ES module that may import them.
 */

export interface EsmHook {
  readonly package: string;
  /** Patches the module's namespace (import-in-the-middle's view of it: setting a name rebinds it). */
  patch(namespace: Record<string, unknown>): (() => void) | undefined;
  onError(error: unknown): void;
}

type SyncLoader = { register(options: { include: string[] }): void };

/**
 * Those of `packages` the app's folder sees: a folder of that name with a package.json where
 * require() would look. (Resolving its entry costs about 1.5 ms per package at start-up, and fails
 * for a package that exports nothing to require(), which an ES module app imports all the same.)
 */
const packagesOf = (hooks: readonly EsmHook[]): string[] => [...new Set(hooks.map((h) => h.package))];

function installed(packages: readonly string[]): Set<string> {
  const found = new Set<string>();
  if (packages.length === 0) return found;
  // The folders a package name is looked for in are the same for every package name.
  const paths = createRequire(join(process.cwd(), 'index.js')).resolve.paths(packages[0] as string) ?? [];
  for (const pkg of packages) if (paths.some((dir) => existsSync(join(dir, pkg, 'package.json')))) found.add(pkg);
  return found;
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
 * Only in-thread hooks. Node 20 (and 22 and 24 before the versions above) can hook ESM only
 * through a loader thread (module.register), and that thread changes how a process ends: its
 * output, piped into the process' stdout, keeps the loop alive after the app is done, so
 * `node app.mjs | head -1` exits 1 with EPIPE where plain Node exits 0. There, these packages'
 * ESM builds are not hooked.
 */
function registerLoader(include: string[]): boolean {
  if (!syncHooksSupported()) return false;
  (require('import-in-the-middle/register-hooks.mjs') as SyncLoader).register({ include });
  return true;
}

let registered = false;

/**
 * Hooks the packages' ESM builds: at once for an ES module app, else once the app first reaches
 * an ES module (see whenEsmReached). `onUnhooked`: this Node cannot hook them in-thread, and the
 * app is an ES module (it may import them).
 */
/** Calls `listener` before each require() of a package or builtin the app makes, with the requiring module; returns the undo. */
export type WatchRequires = (listener: (id: string, parent: unknown) => void) => Undo;

export function hookEsmPackages(hooks: readonly EsmHook[], onUnhooked: (packages: readonly string[]) => void, watchRequires: WatchRequires): Undo | undefined {
  // Preloads run again in worker threads, Node 20's loader-hooks thread among them: the loader
  // is registered from the main thread only.
  if (!isMainThread || hooks.length === 0) return undefined;
  // No entry file (node -e/-p, the REPL): no ESM app to hook, and the in-thread loader gets in the
  // way of the evaluated script's requires on Node 22+.
  const entry = appEntry();
  if (entry === undefined || typeof (process as { _eval?: unknown })._eval === 'string') return undefined;
  if (registered || entry.esModule) return hookNow(hooks, onUnhooked);
  // A CommonJS app on a Node that cannot hook in-thread: nothing to do, nothing to say.
  if (typeof (Module as { registerHooks?: unknown }).registerHooks !== 'function') return undefined;
  if (!moduleChannels) return hookNow(hooks, onUnhooked); // cannot see when it reaches one
  // None of them where the app runs (as in most bots): nothing to wait for, no listener on every require.
  const present = installed(packagesOf(hooks));
  if (present.size === 0) return undefined;
  let undo: Undo | undefined;
  const stopWaiting = whenEsmReached([...present], watchRequires, () => {
    undo = hookNow(hooks, onUnhooked);
  });
  return () => {
    stopWaiting();
    undo?.();
  };
}

/**
 * Calls `reached` once, before the first `import()` (of anything: what it imports in turn is not
 * known) or the first `require()` of one of `packages` that resolves to an ES module (require of
 * ESM, Node 22.12+): in time for a loader registered then. Returns the undo of the waiting.
 */
function whenEsmReached(packages: readonly string[], watchRequires: WatchRequires, reached: () => void): Undo {
  let waiting = true;
  const stop = (): void => {
    if (!waiting) return;
    waiting = false;
    stopRequires();
    stopImports();
  };
  // Often inside a handler (its import()): loading the loader is loopguard's own, never the handler's.
  const fire = (): void => {
    stop();
    outsideHandlers(reached);
  };
  // Told of packages' and builtins' requires only (guard.ts): a file of the app's is none of these.
  const names = new Set(packages);
  const stopRequires = watchRequires((id, parent) => {
    try {
      // The package itself or a file of it (`name/sub`).
      if (!names.has(packageOfFile(id))) return;
      const file = (parent as { filename?: unknown } | null)?.filename;
      const from = typeof file === 'string' ? file : join(process.cwd(), 'index.js');
      if (isEsModule(createRequire(from).resolve(id))) fire();
    } catch {
      // not resolvable: Node's own require fails the same way, with its own error
    }
  });
  const stopImports = onImport(fire);
  return stop;
}

function hookNow(hooks: readonly EsmHook[], onUnhooked: (packages: readonly string[]) => void): Undo | undefined {
  const present = installed(packagesOf(hooks));
  const wanted = hooks.filter((h) => present.has(h.package));
  if (wanted.length === 0) return undefined;
  const packages = packagesOf(wanted);
  try {
    if (!registered && !registerLoader(packages)) {
      if (appEntry()?.esModule === true) onUnhooked(packages);
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
