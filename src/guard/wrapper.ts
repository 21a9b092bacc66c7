import type { ApiEntry } from '../apis/types';
import { callersOf, type Callers } from '../core/call-sites';
import { timeOrigin } from '../core/clock';
import { handlerStorage, type HandlerContext } from '../core/context';
import type { AnyFunction } from '../core/patch';
import { countUnsampled, newSamplingState, pick, readStack, sawTime, takeUntimed, untimed, type SamplingState } from '../core/sampling';
import { describeCall, describeLoad, isAllowedSite, stopCall, type Described } from './describe';
import type { Guard, GuardedApi } from './guard';
import { callEnded, callStarted, judgingWrapper, passThrough } from './judging';
import { callInPackageCall, currentPackageCall, packageCallWrapper } from './package-calls';

/*
 * The path of one wrapped call of Node's (or a package's) blocking API inside a handler: nesting,
 * allow-lists, strict mode's stop, timing, sampling and reporting.
 */

const storage = handlerStorage;

/** Sampling states kept per API: one per handler kind (source + event). */
const samplingCap = 1000;

export function apiWrapper(guard: Guard, g: GuardedApi, original: AnyFunction): AnyFunction {
  if (g.entry.wraps !== undefined) return packageCallWrapper(guard, g, original);
  return judgingWrapper(
    guard, original,
    (handler) => runsAsIs(guard, g, handler),
    (self, args, handler, wrapper) => judgedCall(guard, g, original, self, args, handler, wrapper),
    g.entry.path.at(-1),
  );
}

/**
 * The calls judgedCall would only run, decided without their arguments: inside another guarded
 * call (not a module load's), allowed, or counted without a clock at a hot site (untimedCall).
 * Anything else, and what needs an argument (an exempt API's descriptor), is judgedCall's.
 */
function runsAsIs(guard: Guard, g: GuardedApi, handler: HandlerContext | undefined): boolean {
  if (guard.depth > 0) return guard.loading === undefined;
  if (g.allowed || handler?.allowBlocking === true) return true;
  if (handler === undefined || g.entry.exempt !== undefined || guard.openPackageCalls > 0 || guard.strict) return false;
  const sampling = samplingOf(guard, g, handler);
  if (sampling === undefined || !takeUntimed(sampling, guard.second)) return false;
  countUntimed(guard, sampling);
  return true;
}

function isExempt(guard: Guard, entry: ApiEntry, args: ArrayLike<unknown>): boolean {
  if (entry.exempt === 'stdio') return !guard.settings.stdio && (args[0] === 1 || args[0] === 2);
  return false;
}

/** A call runsAsIs did not take: what it left (a module load's nested call, an exempt API) is decided here. */
function judgedCall(guard: Guard, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, handler: HandlerContext | undefined, wrapper: AnyFunction): unknown {
  if (guard.depth > 0) return nestedCall(guard, original, self, args, wrapper);
  if (isExempt(guard, g.entry, args)) return passThrough(guard, original, self, args);
  const packageCall = currentPackageCall(guard);
  if (packageCall !== undefined) return callInPackageCall(guard, packageCall, g, original, self, args);
  if (!guard.strict) return reportedCall(guard, g, original, self, args, handler, wrapper, undefined);
  return strictCall(guard, g, original, self, args, handler, wrapper);
}

/**
 * Strict mode: the call is stopped before it runs, unless its site is allowed. A function of its
 * own, as is `timedCallOf`: the paths that V8 inlines stay small.
 */
function strictCall(guard: Guard, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, handler: HandlerContext | undefined, wrapper: AnyFunction): unknown {
  let callers: Callers | undefined;
  let described: Described | undefined;
  try {
    callers = callersOf(wrapper);
    described = describeCall(guard, g.entry, callers, args);
  } catch (error) {
    guard.bus.fail(error, 'reading the call site');
  }
  if (callers === undefined || described === undefined) return passThrough(guard, original, self, args);
  if (described.kind === 'module-load' && !guard.settings.strictModuleLoads) {
    return reportedCall(guard, g, original, self, args, handler, wrapper, callers);
  }
  throw stopCall(guard, described, handler, callers, wrapper);
}

/**
 * Runs the call, timed unless its hot site's sampling says otherwise, then reports it (no closure
 * per call: this runs for every call of a handler's that does not run as it is).
 */
function reportedCall(
  guard: Guard, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>,
  handler: HandlerContext | undefined, wrapper: AnyFunction, known: Callers | undefined,
): unknown {
  // A call whose site is known already (a module load) is neither sampled nor counted per kind.
  const sampling = handler === undefined || known !== undefined ? undefined : samplingOf(guard, g, handler);
  const picked = sampling === undefined ? readStack : pick(sampling, guard.sampleAbove, guard.second);
  if (picked === untimed) return untimedCall(guard, sampling as SamplingState, original, self, args);
  return timedCallOf(guard, g, original, self, args, handler, wrapper, known, sampling, picked);
}

/** A call that is timed, with its stack read (`readStack`) or with its weight. */
function timedCallOf(
  guard: Guard, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, handler: HandlerContext | undefined,
  wrapper: AnyFunction, known: Callers | undefined, sampling: SamplingState | undefined, picked: number,
): unknown {
  const start = callStarted(guard);
  try {
    return Reflect.apply(original, self, args);
  } finally {
    reportRan(guard, g, handler, wrapper, callEnded(guard, start, picked === readStack ? 1 : picked), start, known, args, sampling, picked);
  }
}

/** Handler kinds are few in practice; past the cap (event names made of ids?) calls are exact. */
function samplingOf(guard: Guard, g: GuardedApi, handler: HandlerContext): SamplingState | undefined {
  if (!guard.secondRead) guard.readingSeconds(); // the first call of a second: its caller reads guard.second
  const kind = handler.kind;
  if (kind === g.lastKind) return g.lastSampling;
  let sampling = g.sampling.get(kind);
  if (sampling === undefined && g.sampling.size < samplingCap) {
    g.sampling.set(kind, sampling = newSamplingState());
  }
  g.lastKind = kind;
  g.lastSampling = sampling;
  return sampling;
}

/**
 * A call at a hot site that is only counted: no clock, and to the watchdog plain code (a slow
 * one is a stall with its stack). Its time is in the weight of the timed calls.
 */
function untimedCall(guard: Guard, sampling: SamplingState, original: AnyFunction, self: unknown, args: ArrayLike<unknown>): unknown {
  // Counted first: it needs nothing of the call, and the call then needs no second try block.
  countUntimed(guard, sampling);
  return passThrough(guard, original, self, args);
}

function countUntimed(guard: Guard, sampling: SamplingState): void {
  if (countUnsampled(sampling, 0, untimed)) guard.bus.waiting.publish(sampling);
}

/** A call below another guarded call (readFileSync → openSync) belongs to the outer one. */
function nestedCall(guard: Guard, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, wrapper: AnyFunction): unknown {
  const load = guard.loading;
  if (load !== undefined) {
    load.touched = true;
    if (guard.strict && guard.settings.strictModuleLoads && !load.accepted) {
      // The load is about to read from disk: stop it before it does. If something on the way
      // swallows the error (a require hook that falls back), the next read throws it again.
      if (load.stopped === undefined) {
        const callers = callersOf(wrapper);
        const described = describeLoad(guard, 'require', callers.requirer, load.id);
        if (described === undefined || isAllowedSite(guard, callers)) load.accepted = true;
        else load.stopped = stopCall(guard, described, storage.getStore(), callers, wrapper);
      }
      if (load.stopped !== undefined) throw load.stopped;
    }
  }
  return Reflect.apply(original, self, args);
}

function reportRan(
  guard: Guard, g: GuardedApi, handler: HandlerContext | undefined, wrapper: AnyFunction,
  durationMs: number, start: number, known: Callers | undefined, args: ArrayLike<unknown>,
  sampling: SamplingState | undefined, picked: number,
): void {
  const { bus } = guard;
  try {
    // Every call is timed while a threshold is judged or someone follows every call with its time
    // (a sink's `observe`, the diagnostics channel): asked here, once, at timed calls only.
    const followed = sampling !== undefined && bus.unsampled.wanted();
    if (sampling !== undefined) sawTime(sampling, durationMs, guard.settings.thresholdMs > 0 || followed);
    if (durationMs < guard.settings.thresholdMs) return;
    if (sampling !== undefined && picked !== readStack) {
      // Counted here, nothing made: the dispatcher hears once that the state has calls waiting.
      if (countUnsampled(sampling, durationMs, picked)) bus.waiting.publish(sampling);
      if (followed) {
        const { entry } = g;
        bus.unsampled.publish({ api: entry.api, kind: entry.kind, hint: entry.alternative, durationMs, time: timeOrigin() + start, handler });
      }
      return;
    }
    const callers = known ?? callersOf(wrapper);
    const described = describeCall(guard, g.entry, callers, args);
    if (described === undefined) {
      if (sampling !== undefined) bus.discarded.publish(sampling);
      return;
    }
    const occurrence = { ...described, outcome: 'ran' as const, durationMs, time: timeOrigin() + start, handler, callers };
    bus.occurrences.publish(sampling === undefined ? occurrence : { ...occurrence, sampling });
  } catch (error) {
    bus.fail(error, 'reporting a blocking call');
  }
}
