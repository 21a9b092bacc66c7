import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { handlerStorage, type HandlerContext } from '../context';
import { captureFrames, callersOf, readCallers, type Callers } from './callers';
import { state, type Guarded } from './state';
import { isAllowedSite, stop, type AnyFunction, type Described } from './verdict';

const storage = handlerStorage;
const timeOrigin = performance.timeOrigin;

/*
 * A call of a package that wraps another (quick.db over better-sqlite3) is one unit: the blocking
 * calls made during it, also after its awaits, are added up and reported once, at the line that
 * called the wrapper. A unit that ran no blocking call (quick.db on its MySQL driver) is not
 * reported. Strict mode stops the first blocking call inside it, before that call runs.
 */
export interface Unit {
  readonly g: Guarded;
  readonly store: HandlerContext | undefined;
  readonly wrapper: AnyFunction;
  /** Read at the call for promise APIs: after an await the caller's line is off the stack. */
  readonly callers: Callers | undefined;
  readonly start: number;
  calls: number;
  durationMs: number;
  /** The module of the first blocking call below it (`better-sqlite3`; `fs` for a quick.db driver on files). */
  below: string | undefined;
  /** The call returned (or settled): later calls in its async context are judged on their own. */
  done: boolean;
  /** Strict mode's verdict: the error every blocking call inside throws, or `pass` (allowed site). */
  verdict: Error | 'pass' | undefined;
}

const units = new AsyncLocalStorage<Unit>();

/** The unit a blocking call belongs to, if it is made during one (looked up inside handlers only). */
export function currentUnit(): Unit | undefined {
  const unit = units.getStore();
  return unit === undefined || unit.done ? undefined : unit;
}

export function createUnitWrapper(g: Guarded, original: AnyFunction): AnyFunction {
  const wrapper = function (this: unknown): unknown {
    const store = storage.getStore();
    if (store === undefined && !state.everywhere) return Reflect.apply(original, this, arguments);
    // Inside another guarded call or unit (enmap#set → enmap#get): part of that one.
    if (state.depth > 0 || currentUnit() !== undefined) return Reflect.apply(original, this, arguments);
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

export function callInUnit(unit: Unit, g: Guarded, original: AnyFunction, self: unknown, args: IArguments): unknown {
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
