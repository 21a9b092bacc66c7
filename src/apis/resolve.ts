import { isMainThread } from '../core/main-thread';
import { nodeApis, nodeFamilies } from './node';
import type { ApiEntry } from './types';

/** Where one API lives in this process: `owner[key]` is the function to wrap. */
export interface Target {
  readonly entry: ApiEntry;
  readonly owner: object;
  readonly key: string;
}

export type ModuleLoader = (id: string) => object | undefined;

/** A builtin by id (`fs`, `sqlite`), or undefined where this Node has none. */
export function loadBuiltin(id: string): object | undefined {
  try {
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const mod = get === undefined ? require(`node:${id}`) : get(`node:${id}`);
    return mod === null || mod === undefined ? undefined : (mod as object);
  } catch {
    return undefined;
  }
}

function walk(root: object, path: readonly string[]): object | undefined {
  let at: unknown = root;
  for (const key of path) {
    if (at === null || (typeof at !== 'object' && typeof at !== 'function')) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at !== null && (typeof at === 'object' || typeof at === 'function') ? at : undefined;
}

/** The function `entry` names under `root` (a module's exports), if it is there. */
export function targetOf(entry: ApiEntry, root: object): Target | undefined {
  const owner = walk(root, entry.path.slice(0, -1));
  const key = entry.path[entry.path.length - 1] as string;
  if (owner === undefined || typeof (owner as Record<string, unknown>)[key] !== 'function') return undefined;
  return { entry, owner, key };
}

/** The declared entries plus `*Sync` functions of their modules that the table does not know yet. */
export function discoverEntries(load: ModuleLoader, declared: readonly ApiEntry[] = nodeApis): ApiEntry[] {
  const entries = [...declared];
  const known = new Set(declared.map((e) => `${e.module}:${e.path.join('.')}`));
  const modules = new Set(declared.map((e) => e.module));
  for (const family of nodeFamilies) {
    if (!modules.has(family.module)) continue;
    const exports = load(family.module);
    if (exports === undefined) continue;
    for (const key of Object.keys(exports)) {
      if (!family.pattern.test(key) || known.has(`${family.module}:${key}`)) continue;
      if (typeof (exports as Record<string, unknown>)[key] !== 'function') continue;
      entries.push({ api: `${family.module}.${key}`, module: family.module, path: [key], kind: family.kind, alternative: family.alternative(key) });
    }
  }
  return entries;
}

/** The targets present in this process (this Node version, this thread). */
export function resolveTargets(entries: readonly ApiEntry[], load: ModuleLoader): Target[] {
  const targets: Target[] = [];
  const roots = new Map<string, object | undefined>();
  for (const entry of entries) {
    if (entry.mainThreadOnly === true && !isMainThread) continue;
    if (!roots.has(entry.module)) roots.set(entry.module, entry.module === 'globalThis' ? globalThis : load(entry.module));
    const root = roots.get(entry.module);
    const target = root === undefined ? undefined : targetOf(entry, root);
    if (target !== undefined) targets.push(target);
  }
  return targets;
}
