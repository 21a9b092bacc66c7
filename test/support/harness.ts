import { loadBuiltin, resolveTargets, discoverEntries, type Target } from '../../src/apis/resolve';
import { definitions, type Definition } from '../definitions';
import { Scratch } from './scratch';

/** Every API the running Node has, with its definition (undefined when the table lacks one). */
export function liveTargets(): { target: Target; definition: Definition | undefined }[] {
  const byApi = new Map(definitions.map((d) => [d.api, d]));
  return resolveTargets(discoverEntries(loadBuiltin), loadBuiltin).map((target) => ({
    target,
    definition: byApi.get(target.entry.api),
  }));
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
