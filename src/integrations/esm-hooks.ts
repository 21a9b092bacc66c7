import Module from 'node:module';
import { pathToFileURL } from 'node:url';
import { Hook } from 'import-in-the-middle';
import type { Integration } from './types';

/*
 * For libraries whose ESM build is a separate file (@discordjs/core's dist/index.mjs), no require
 * hook can see the ESM app's import. import-in-the-middle's loader hook can: in-thread
 * (module.registerHooks) where Node supports it, else off-thread (module.register). The loader is
 * registered only when such a library is installed where the app runs, and only intercepts it.
 */

type Loaders = {
  supportsSyncHooks(): boolean;
  register(options: { include: string[] }): void;
};

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg, { paths: [process.cwd()] });
    return true;
  } catch {
    return false;
  }
}

function registerLoader(include: string[]): void {
  let sync: Loaders | undefined;
  try {
    sync = require('import-in-the-middle/register-hooks.mjs') as Loaders;
  } catch {
    // require(esm) is not available on this Node: the off-thread loader below.
  }
  if (sync !== undefined && sync.supportsSyncHooks()) {
    sync.register({ include });
    return;
  }
  const register = (Module as unknown as { register?: (s: string, parent: string, o: object) => void }).register;
  if (register === undefined) throw new Error('this Node has no module.register');
  register('import-in-the-middle/hook.mjs', pathToFileURL(__filename).href, { data: { include } });
}

let registered = false;

export function hookEsmBuilds(list: readonly Integration[], onError: (integration: Integration, error: unknown) => void): (() => void) | undefined {
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
