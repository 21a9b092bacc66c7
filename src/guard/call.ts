import { AsyncLocalStorage } from 'node:async_hooks';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { blockingPackages } from '../apis/packages';
import type { ApiEntry, ApiKind } from '../apis/types';
import { handlerStorage, type HandlerContext } from '../context';
import { BlockingCallError } from '../report/errors';
import type { Report } from '../report/types';
import { newPair, sampleThis } from '../report/sampling';
import { captureFrames, callersOf, packageOf, readCallers, type Callers, type Site } from './callers';
import { state, type Guarded } from './state';

/*
 * The path of one wrapped call. The fast path (no handler) is one context lookup and a call
 * through; everything else — nesting, allow-lists, the stack, timing, reporting — happens only
 * inside handlers, in `guardedCall`.
 */

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const storage = handlerStorage;
const timeOrigin = performance.timeOrigin;

/** What a call is reported as. */
interface Described {
  api: string;
  kind: ApiKind;
  hint: string;
  detail?: string;
  module?: string;
  /** The packages the blocking went through, when the table knows better than the stack. */
  via?: string;
}

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
  const unit = units.getStore();
  if (unit !== undefined && !unit.done) return callInUnit(unit, g, original, self, args);
  if (g.allowed || store?.allowBlocking === true || isExempt(g.entry, args)) return Reflect.apply(original, self, args);
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
  const start = performance.now();
  try {
    return Reflect.apply(original, self, args);
  } finally {
    state.depth--;
    const durationMs = performance.now() - start;
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
      state.dispatcher.sampledOut(pair, durationMs);
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

/** Records the call that strict mode stops and builds the error to throw (before it runs). */
export function stop(described: Described, store: HandlerContext | undefined, callers: Callers, wrapper: AnyFunction): BlockingCallError {
  let report: Report;
  try {
    const time = Date.now();
    report = { ...state.dispatcher.record({ ...described, outcome: 'thrown', durationMs: 0, time, handler: store, callers }), count: 1, aggregate: false, time };
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a stopped call');
    report = fallbackReport(described, store, callers);
  }
  const error = new BlockingCallError(report);
  Error.captureStackTrace(error, wrapper);
  return error;
}

function fallbackReport(d: Described, store: HandlerContext | undefined, callers: Callers): Report {
  return {
    type: 'blocking-call', api: d.api, kind: d.kind, outcome: 'thrown', durationMs: 0, maxDurationMs: 0,
    count: 1, aggregate: false, time: Date.now(),
    handler: store === undefined ? null : { ...store.attributes, source: store.source, event: store.event },
    site: callers.site ?? null, stack: '', hint: d.hint, docs: '', pid: process.pid,
  };
}

export function isAllowedSite(callers: Callers): boolean {
  const { origin, site } = callers;
  return (origin !== undefined && state.allowedSite(origin.file)) || (site !== undefined && state.allowedSite(site.file));
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
    const detail = describeCommand(entry.api, args);
    if (detail !== undefined) described.detail = detail;
  }
  return described;
}

/**
 * The program a child-process call runs: its name only (a command line can hold tokens and
 * passwords), or the whole command with `reportArgs`.
 */
function describeCommand(api: string, args: IArguments): string | undefined {
  const first = args[0];
  if (typeof first !== 'string') return undefined;
  if (state.settings.reportArgs) {
    const rest = Array.isArray(args[1]) ? (args[1] as unknown[]).map(String) : [];
    return [first, ...rest].join(' ');
  }
  // execSync takes a shell command line; execFileSync and spawnSync take the file.
  const program = api === 'child_process.execSync' ? first.trim().split(/\s+/)[0] ?? '' : first;
  return basename(program);
}

/** A lazy module load is the user's to fix only when the user's code asked for it. */
export function describeLoad(api: 'require' | 'import', requirer: Site | undefined, module: string | undefined): Described | undefined {
  const scope = state.settings.moduleLoads;
  if (scope === 'off') return undefined;
  if (scope === 'user' && (requirer === undefined || packageOf(requirer.file) !== undefined)) return undefined;
  const d: Described = { api, kind: 'module-load', hint: moduleLoadHint };
  if (module !== undefined) d.module = module;
  return d;
}

/*
 * A call of a package that wraps another (quick.db over better-sqlite3) is one unit: the blocking
 * calls made during it, also after its awaits, are added up and reported once, at the line that
 * called the wrapper. A unit that ran no blocking call (quick.db on its MySQL driver) is not
 * reported. Strict mode stops the first blocking call inside it, before that call runs.
 */
interface Unit {
  readonly g: Guarded;
  readonly store: HandlerContext | undefined;
  readonly wrapper: AnyFunction;
  /** Read at the call for promise APIs: after an await the caller's line is off the stack. */
  readonly callers: Callers | undefined;
  readonly start: number;
  calls: number;
  durationMs: number;
  /** The module of the first blocking call below it (`better-sqlite3`; `fs` for quick.db's JSON driver). */
  below: string | undefined;
  /** The call returned (or settled): later calls in its async context are judged on their own. */
  done: boolean;
  /** Strict mode's verdict: the error every blocking call inside throws, or `pass` (allowed site). */
  verdict: Error | 'pass' | undefined;
}

const units = new AsyncLocalStorage<Unit>();

function createUnitWrapper(g: Guarded, original: AnyFunction): AnyFunction {
  const wrapper = function (this: unknown): unknown {
    const store = storage.getStore();
    if (store === undefined && !state.everywhere) return Reflect.apply(original, this, arguments);
    // Inside another guarded call or unit (enmap#set → enmap#get): part of that one.
    if (state.depth > 0 || units.getStore()?.done === false) return Reflect.apply(original, this, arguments);
    return unitCall(g, original, this, arguments, store, wrapper);
  };
  return wrapper;
}

function unitCall(g: Guarded, original: AnyFunction, self: unknown, args: IArguments, store: HandlerContext | undefined, wrapper: AnyFunction): unknown {
  let callers: Callers | undefined;
  if (g.entry.async === true) {
    try {
      callers = readCallers(captureFrames(wrapper, 16));
    } catch (error) {
      state.dispatcher.countError(error, 'reading the call site');
    }
  }
  const unit: Unit = { g, store, wrapper, callers, start: performance.now(), calls: 0, durationMs: 0, below: undefined, done: false, verdict: undefined };
  let result: unknown;
  try {
    result = units.run(unit, () => Reflect.apply(original, self, args));
  } catch (error) {
    finishUnit(unit);
    throw error;
  }
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    finishUnit(unit);
    return result;
  }
  return settled(result as PromiseLike<unknown>, unit);
}

/** The promise's outcome, after the unit is reported (a rejection stays unhandled if the caller ignores it). */
async function settled(promise: PromiseLike<unknown>, unit: Unit): Promise<unknown> {
  try {
    return await promise;
  } finally {
    finishUnit(unit);
  }
}

function callInUnit(unit: Unit, g: Guarded, original: AnyFunction, self: unknown, args: IArguments): unknown {
  if (unit.g.allowed || unit.store?.allowBlocking === true || unit.verdict === 'pass') return Reflect.apply(original, self, args);
  unit.below ??= g.entry.module;
  if (state.settings.mode === 'strict') {
    unit.verdict ??= judgeUnit(unit);
    if (unit.verdict !== 'pass') throw unit.verdict;
    return Reflect.apply(original, self, args);
  }
  state.depth++;
  const start = performance.now();
  try {
    return Reflect.apply(original, self, args);
  } finally {
    state.depth--;
    unit.calls++;
    unit.durationMs += performance.now() - start;
  }
}

/** Strict mode, at the unit's first blocking call: the error to stop it with, recorded once. */
function judgeUnit(unit: Unit): Error | 'pass' {
  let callers: Callers | undefined;
  let described: Described | undefined;
  try {
    callers = unit.callers ?? callersOf(unit.wrapper);
    described = describeUnit(unit, callers);
  } catch (error) {
    state.dispatcher.countError(error, 'reading the call site');
  }
  if (callers === undefined || described === undefined) return 'pass';
  return stop(described, unit.store, callers, unit.wrapper);
}

function finishUnit(unit: Unit): void {
  unit.done = true;
  if (unit.calls === 0 || unit.durationMs < state.settings.thresholdMs) return;
  try {
    // A synchronous API returns with its caller still on the stack.
    const callers = unit.callers ?? callersOf(unit.wrapper);
    const described = describeUnit(unit, callers);
    if (described === undefined) return;
    state.dispatcher.record({ ...described, outcome: 'ran', durationMs: unit.durationMs, time: timeOrigin + unit.start, handler: unit.store, callers });
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a blocking call');
  }
}

/** `quick.db → better-sqlite3`, after the application's dependency that called it, if any. */
function describeUnit(unit: Unit, callers: Callers): Described | undefined {
  if (isAllowedSite(callers)) return undefined;
  const entry = unit.g.entry;
  const via = [callers.via, entry.module, unit.below].filter((p) => p !== undefined).join(' → ');
  return { api: entry.api, kind: entry.kind, hint: entry.alternative, via };
}
