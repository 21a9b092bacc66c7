import type { ObserverEntry } from '../core/bus';
import { kRuntime } from '../core/symbols';
import { unknownVariables, type Settings } from '../config/settings';
import { Runtime, type InstallResult, type RuntimeApi } from './runtime';

/*
 * Which runtime the public API talks to: the one installed in this process (by this copy of
 * loopguard or another: a second copy's onReport, summary and configure act on the first's), else
 * this copy's own, made on first use and installed by install().
 */

type Holder = typeof globalThis & { [kRuntime]?: RuntimeApi };
const holder = globalThis as Holder;

let own: Runtime | undefined;

function forget(runtime: Runtime): void {
  if (holder[kRuntime] === runtime) delete holder[kRuntime];
  if (own === runtime) own = undefined;
}

/** This copy's runtime (made when first needed). */
export function ownRuntime(): Runtime {
  own ??= new Runtime(forget);
  return own;
}

/** The runtime installed by any copy of loopguard, if one is. */
export function installedRuntime(): RuntimeApi | undefined {
  const installed = holder[kRuntime];
  return installed?.installed === true ? installed : undefined;
}

/** What the public API acts on. */
export function activeRuntime(): RuntimeApi {
  return installedRuntime() ?? ownRuntime();
}

/**
 * Installs this copy's runtime with `settings` and publishes it to the other copies, unless another
 * copy is installed already: then this one stays inactive (its API reports through that one).
 */
export function installOwn(settings: Settings, env?: NodeJS.ProcessEnv): InstallResult {
  const mine = ownRuntime();
  const other = installedRuntime();
  if (other !== undefined && other !== mine) {
    other.warn(`another copy (${other.version}, ${other.root}) is already active; this one (${mine.version}, ${mine.root}) reports through it`);
    return { active: false, wrapped: 0 };
  }
  const result = mine.install(settings);
  holder[kRuntime] = mine;
  for (const { name, closest } of env === undefined ? [] : unknownVariables(env)) {
    mine.warn(`${name} is not a setting of loopguard (ignored)${closest === undefined ? '' : `; did you mean ${closest}?`}`, `unknown:${name}`);
  }
  return result;
}

/** Handler observers of the active runtime, without making one. */
export function activeObservers(): readonly ObserverEntry[] {
  return (installedRuntime() ?? own)?.handlerObservers() ?? [];
}
