import { blockingPackages } from '../apis/packages';
import type { ApiEntry, ApiKind } from '../apis/types';
import { errorStack, type Callers, type Site } from '../core/call-sites';
import { epochNow } from '../core/clock';
import type { HandlerContext } from '../core/context';
import { packageOf } from '../core/packages';
import { reportOf } from '../report/build';
import { BlockingCallError } from '../report/errors';
import type { Guard } from './guard';
import { moduleLabel, programOf } from './redact';

/*
 * What a judged call is reported as, and strict mode's stop: shared by every kind of wrapper
 * (Node's APIs, packages that wrap others, lazy requires).
 */

/** What a call is reported as. */
export interface Described {
  api: string;
  kind: ApiKind;
  hint: string;
  detail?: string;
  module?: string;
  /** The packages the blocking went through, when the table knows better than the stack. */
  via?: string;
}

export const moduleLoadHint = 'a top-level require/import at start-up (or load it once and keep it)';

export function isAllowedSite(guard: Guard, callers: Callers): boolean {
  const { origin, site } = callers;
  return (origin !== undefined && guard.allowedSite(origin.file)) || (site !== undefined && guard.allowedSite(site.file));
}

/** What the call is reported as, or undefined when it is not reported at all. */
export function describeCall(guard: Guard, entry: ApiEntry, callers: Callers, args: ArrayLike<unknown> | undefined): Described | undefined {
  if (isAllowedSite(guard, callers)) return undefined;
  if (callers.moduleLoad !== undefined) return describeLoad(guard, callers.moduleLoad, callers.requirer, undefined);
  // Made inside a package that blocks through Node's APIs (sync-fetch → execFileSync): its name, its fix.
  const pkg = callers.via === undefined ? undefined : blockingPackages.get(callers.via);
  if (pkg !== undefined) {
    if (guard.allowedApi(pkg.api)) return undefined;
    return { api: pkg.api, kind: pkg.kind, hint: pkg.alternative, via: `${pkg.module} → ${entry.api}` };
  }
  const described: Described = { api: entry.api, kind: entry.kind, hint: entry.alternative };
  if (entry.detail === 'program' && args !== undefined) {
    const detail = programOf(entry.api, args);
    if (detail !== undefined) described.detail = detail;
  }
  return described;
}

/** A lazy module load is the user's to fix only when the user's code asked for it. */
export function describeLoad(guard: Guard, api: 'require' | 'import', requirer: Site | undefined, module: string | undefined): Described | undefined {
  const scope = guard.settings.moduleLoads;
  if (scope === 'off') return undefined;
  if (scope === 'user' && (requirer === undefined || packageOf(requirer.file) !== undefined)) return undefined;
  const d: Described = { api, kind: 'module-load', hint: moduleLoadHint };
  if (module !== undefined) d.module = moduleLabel(module);
  return d;
}

/**
 * Strict mode's stop, before the call runs: publishes the stopped call and returns the error to
 * throw, whose report, message and stack are this call's (its handler's ids, its line).
 */
export function stopCall(guard: Guard, described: Described, handler: HandlerContext | undefined, callers: Callers, above: Function): BlockingCallError {
  const occurrence = { ...described, outcome: 'thrown' as const, durationMs: 0, time: epochNow(), handler, callers };
  try {
    guard.bus.occurrences.publish(occurrence);
  } catch (error) {
    guard.bus.fail(error, 'reporting a stopped call');
  }
  const error = new BlockingCallError(reportOf(occurrence));
  // The frames the report names (original source positions, no frame of loopguard's), whatever
  // the app's Error.prepareStackTrace would make of them: the message's line is the stack's.
  // Assigned, not defined: redefining V8's stack property formats the stack it replaces first.
  const frames = errorStack(above);
  error.stack = frames === '' ? String(error) : `${String(error)}\n${frames}`;
  return error;
}
