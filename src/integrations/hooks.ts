import Module from 'node:module';
import { isAbsolute, sep } from 'node:path';
import { Hook } from 'require-in-the-middle';
import { patch, unpatch } from '../guard/patch';
import type { Integration, IntegrationTarget } from './types';

/*
 * Patches integration targets when their files load. require-in-the-middle with `internals` sees
 * a package's own internal requires, which happen for CommonJS apps and for ESM apps that import
 * a CommonJS library alike (the library requires its own files). A CommonJS file that an ESM file
 * imports directly (Oceanic.js' esm.mjs imports dist/lib/Client.js) is loaded through
 * Module._load with its absolute path, which is watched too. Files loaded before loopguard are
 * found in require.cache and patched at once.
 */

export interface HookErrors {
  (integration: Integration, target: IntegrationTarget, error: unknown): void;
}

export function hookIntegrations(list: readonly Integration[], onError: HookErrors): () => void {
  const targets = new Map<string, [Integration, IntegrationTarget]>();
  for (const integration of list) for (const target of integration.targets) targets.set(target.file, [integration, target]);
  const patched = new WeakSet<object>();
  const undos: (() => void)[] = [];

  const apply = (file: string, exports: unknown): void => {
    const found = targets.get(file);
    if (found === undefined || exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return;
    if (patched.has(exports as object)) return;
    patched.add(exports as object);
    try {
      const undo = found[1].patch(exports);
      if (undo !== undefined) undos.push(undo);
    } catch (error) {
      onError(found[0], found[1], error);
    }
  };

  const marker = `${sep}node_modules${sep}`;
  const applyPath = (path: string, exports: unknown): void => {
    const at = path.lastIndexOf(marker);
    if (at >= 0) apply(path.slice(at + marker.length).split(sep).join('/'), exports);
  };
  for (const [path, mod] of Object.entries(require.cache)) if (mod !== undefined) applyPath(path, mod.exports);

  const hook = new Hook(list.map((i) => i.package), { internals: true }, (exports, name) => {
    apply(name.split(sep).join('/'), exports);
    return exports;
  });

  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  const loadPatch = patch(loader, '_load', function (this: unknown, request: string) {
    const exports = Reflect.apply(load, this, arguments);
    if (typeof request === 'string' && isAbsolute(request)) applyPath(request, exports);
    return exports;
  });
  return () => {
    if (loadPatch !== undefined) unpatch(loadPatch);
    hook.unhook();
    for (const undo of undos.reverse()) undo();
  };
}
