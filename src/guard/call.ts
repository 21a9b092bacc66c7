import { performance } from 'node:perf_hooks';
import { blockingPackages } from '../apis/packages';
import type { ApiEntry } from '../apis/types';
import { handlerStorage, type HandlerContext } from '../context';
import { newPair, sampleThis } from '../report/sampling';
import { callEnded, callStarted, watched } from '../watchdog/watchdog';
import { callersOf, packageOf, type Callers, type Site } from './callers';
import { state, type Guarded } from './state';
import { callInUnit, createUnitWrapper, currentUnit } from './units';
import { moduleLabel, programOf } from './redact';
import { isAllowedSite, stop, type AnyFunction, type Described } from './verdict';

/*
 * The path of one wrapped call. The fast path (no handler) is one context lookup and a call
 * through; everything else — nesting, allow-lists, the stack, timing, reporting — happens only
 * inside handlers, in `guardedCall`.
 */

const storage = handlerStorage;
const timeOrigin = performance.timeOrigin;

/** Sampling states kept per API: one per handler kind (source + event). */
const pairCap = 1000;

export const moduleLoadHint = 'a top-level require/import at start-up (or load it once and keep it)';

export function createWrapper(g: Guarded, original: AnyFunction): AnyFunction {
  if (g.entry.over !== undefined) return createUnitWrapper(g, original);
  const wrapper = function (this: unknown): unknown {
    const store = storage.getStore();
    if (store === undefined && !state.everywhere) return Reflect.apply(original, this, arguments);
    return guardedCall(g, original, this, arguments, store, wrapper);
  };
  return wrapper;
}

function isExempt(entry: ApiEntry, args: IArguments): boolean {
  if (entry.exempt === 'stdio') return !state.settings.stdio && (args[0] === 1 || args[0] === 2);
  return false;
}

function guardedCall(
  g: Guarded, original: AnyFunction, self: unknown, args: IArguments,
  store: HandlerContext | undefined, wrapper: AnyFunction,
): unknown {
  if (state.depth > 0) return nestedCall(original, self, args, wrapper);
  if (g.allowed || store?.allowBlocking === true || isExempt(g.entry, args)) return Reflect.apply(original, self, args);
  const unit = currentUnit();
  if (unit !== undefined) return callInUnit(unit, g, original, self, args);
  if (state.settings.mode !== 'strict') return timedCall(g, original, self, args, store, wrapper, undefined);

  let callers: Callers | undefined;
  let described: Described | undefined;
  try {
    callers = callersOf(wrapper);
    described = describe(g.entry, callers, args);
  } catch (error) {
    state.dispatcher.countError(error, 'reading the call site');
  }
  if (callers === undefined || described === undefined) return passThrough(original, self, args);
  if (described.kind === 'module-load' && !state.settings.strictModuleLoads) {
    return timedCall(g, original, self, args, store, wrapper, callers);
  }
  throw stop(described, store, callers, wrapper);
}

/** A call below another guarded call (readFileSync → openSync) belongs to the outer one. */
function nestedCall(original: AnyFunction, self: unknown, args: IArguments, wrapper: AnyFunction): unknown {
  const load = state.loading;
  if (load !== undefined) {
    load.touched = true;
    if (state.settings.mode === 'strict' && state.settings.strictModuleLoads && !load.accepted) {
      // The load is about to read from disk: stop it before it does. If something on the way
      // swallows the error (a require hook that falls back), the next read throws it again.
      if (load.stopped === undefined) {
        const callers = callersOf(wrapper);
        const described = describeLoad('require', callers.requirer, load.id);
        if (described === undefined || isAllowedSite(callers)) load.accepted = true;
        else load.stopped = stop(described, storage.getStore(), callers, wrapper);
      }
      if (load.stopped !== undefined) throw load.stopped;
    }
  }
  return Reflect.apply(original, self, args);
}

function passThrough(original: AnyFunction, self: unknown, args: IArguments): unknown {
  state.depth++;
  try {
    return Reflect.apply(original, self, args);
  } finally {
    state.depth--;
  }
}

function timedCall(
  g: Guarded, original: AnyFunction, self: unknown, args: IArguments,
  store: HandlerContext | undefined, wrapper: AnyFunction, known: Callers | undefined,
): unknown {
  state.depth++;
  // The stall watchdog leaves this call's time to its own report.
  const shared = watched;
  if (shared !== undefined) callStarted(shared);
  const start = performance.now();
  try {
    return Reflect.apply(original, self, args);
  } finally {
    state.depth--;
    const durationMs = performance.now() - start;
    if (shared !== undefined) callEnded(shared, durationMs);
    if (durationMs >= state.settings.thresholdMs) reportRan(g, store, wrapper, durationMs, start, known, args);
  }
}

function reportRan(
  g: Guarded, store: HandlerContext | undefined, wrapper: AnyFunction,
  durationMs: number, start: number, known: Callers | undefined, args: IArguments,
): void {
  try {
    // Hot pairs (one API, one handler kind, many calls a second) read the stack for a sample only.
    let pair = store === undefined || known !== undefined ? undefined : g.pairs.get(store.kind);
    // Handler kinds are few in practice; past the cap (event names made of ids?) calls are exact.
    if (store !== undefined && known === undefined && pair === undefined && g.pairs.size < pairCap) g.pairs.set(store.kind, pair = newPair());
    if (pair !== undefined && !sampleThis(pair, start, state.settings.sampleAbove)) {
      state.dispatcher.sampledOut(pair, g.entry, durationMs, timeOrigin + start, store);
      return;
    }
    const callers = known ?? callersOf(wrapper);
    const described = describe(g.entry, callers, args);
    if (described === undefined) {
      if (pair !== undefined) state.dispatcher.discard(pair);
      return;
    }
    const occurrence = { ...described, outcome: 'ran' as const, durationMs, time: timeOrigin + start, handler: store, callers };
    state.dispatcher.record(pair === undefined ? occurrence : { ...occurrence, pair });
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a blocking call');
  }
}

/** What the call is reported as, or undefined when it is not reported at all. */
function describe(entry: ApiEntry, callers: Callers, args: IArguments | undefined): Described | undefined {
  if (isAllowedSite(callers)) return undefined;
  if (callers.moduleLoad !== undefined) return describeLoad(callers.moduleLoad, callers.requirer, undefined);
  // Made inside a package that blocks through Node's APIs (sync-fetch → execFileSync): its name, its fix.
  const pkg = callers.via === undefined ? undefined : blockingPackages.get(callers.via);
  if (pkg !== undefined) {
    if (state.allowedApi(pkg.api)) return undefined;
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
export function describeLoad(api: 'require' | 'import', requirer: Site | undefined, module: string | undefined): Described | undefined {
  const scope = state.settings.moduleLoads;
  if (scope === 'off') return undefined;
  if (scope === 'user' && (requirer === undefined || packageOf(requirer.file) !== undefined)) return undefined;
  const d: Described = { api, kind: 'module-load', hint: moduleLoadHint };
  if (module !== undefined) d.module = moduleLabel(module);
  return d;
}
