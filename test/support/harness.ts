import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageApis } from '../../src/apis/packages';
import { loadBuiltin, resolveTargets, discoverEntries, targetOf, type Target } from '../../src/apis/resolve';
import { definitions, packageDefinitions, type Definition } from '../apis/definitions';
import { Scratch } from './scratch';

/** Every API the running Node has, with its definition (undefined when the table lacks one). */
export function liveTargets(): { target: Target; definition: Definition | undefined }[] {
  const byApi = new Map(definitions.map((d) => [d.api, d]));
  return resolveTargets(discoverEntries(loadBuiltin), loadBuiltin).map((target) => ({
    target,
    definition: byApi.get(target.entry.api),
  }));
}

/** The package entries the table-driven tests call directly: functions, not wrappers of other packages. */
export const directPackageApis = packageApis.filter((e) => e.path.length > 0 && e.wraps === undefined);

const requireHere = createRequire(__filename);
const modules = join(__dirname, '../../node_modules');

/** The package APIs, from their files loaded with require (as a CommonJS app would). */
export function livePackageTargets(): { target: Target; definition: Definition | undefined }[] {
  const byApi = new Map(packageDefinitions.map((d) => [d.api, d]));
  const live: { target: Target; definition: Definition | undefined }[] = [];
  for (const entry of directPackageApis) {
    const target = targetOf(entry, requireHere(join(modules, entry.file ?? entry.module)) as object);
    if (target !== undefined) live.push({ target, definition: byApi.get(entry.api) });
  }
  return live;
}

/** Prepares real inputs outside any handler and returns a function that makes the call once. */
export function prepareCall(target: Target, definition: Definition) {
  const scratch = new Scratch();
  const prepared = definition.prepare(scratch);
  let result: unknown;
  return {
    scratch,
    prepared,
    call(): unknown {
      const fn = (target.owner as Record<string, (...args: unknown[]) => unknown>)[target.key] as (...args: unknown[]) => unknown;
      result = Reflect.apply(fn, prepared.self ?? target.owner, prepared.args);
      return result;
    },
    dispose(): void {
      prepared.cleanup?.(result);
      scratch.remove();
    },
  };
}
