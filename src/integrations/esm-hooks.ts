import Module from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { Hook } from 'import-in-the-middle';
import type { Integration } from './types';

/*
 * For libraries whose ESM build is a separate file (@discordjs/core's dist/index.mjs), no require
 * hook can see the ESM app's import. import-in-the-middle's loader hook can: in-thread
 * (module.registerHooks) where Node supports it, else off-thread (module.register). The loader is
 * registered only when such a library is installed where the app runs, and only intercepts it.
 */

type SyncLoader = { register(options: { include: string[] }): void };

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg, { paths: [process.cwd()] });
    return true;
  } catch {
    return false;
  }
}

/** supports-sync-hooks.mjs imports nothing, so asking it does not set up the loader itself. */
function syncHooksSupported(): boolean {
  try {
    return (require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean }).supportsSyncHooks();
  } catch {
    return false; // require(esm) is not available on this Node
  }
}

function registerLoader(include: string[]): void {
  if (syncHooksSupported()) {
    (require('import-in-the-middle/register-hooks.mjs') as SyncLoader).register({ include });
    return;
  }
  const register = (Module as unknown as { register?: (s: string, parent: string, o: object) => void }).register;
  if (register === undefined) throw new Error('this Node has no module.register');
  register('import-in-the-middle/hook.mjs', pathToFileURL(__filename).href, { data: { include } });
}

let registered = false;

export function hookEsmBuilds(list: readonly Integration[], onError: (integration: Integration, error: unknown) => void): (() => void) | undefined {
  // Preloads run again in worker threads, Node 20's loader-hooks thread among them: the loader
  // is registered from the main thread only.
  if (!isMainThread) return undefined;
  // No entry file (node -e/-p, the REPL): no ESM app to hook, and the in-thread loader gets in the
  // way of the evaluated script's requires on Node 22+.
  if (process.argv[1] === undefined || typeof (process as { _eval?: unknown })._eval === 'string') return undefined;
  const wanted = list.filter((i) => i.esm !== undefined && installed(i.package));
  if (wanted.length === 0) return undefined;
  try {
    if (!registered) registerLoader(wanted.map((i) => i.package));
    registered = true;
  } catch (error) {
    for (const i of wanted) onError(i, error);
    return undefined;
  }
  const undos: (() => void)[] = [];
  const hook = new Hook(wanted.map((i) => i.package), (exported, name) => {
    const integration = wanted.find((i) => i.package === name);
    if (integration?.esm === undefined) return;
    try {
      const undo = integration.esm.patch(exported);
      if (undo !== undefined) undos.push(undo);
    } catch (error) {
      onError(integration, error);
    }
  });
  return () => {
    hook.unhook();
    for (const undo of undos.reverse()) undo();
  };
}
