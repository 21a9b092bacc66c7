import { AsyncLocalStorage } from 'node:async_hooks';
import { captureFrames, callersOf, readCallers, type Callers } from '../core/call-sites';
import { now, timeOrigin } from '../core/clock';
import type { HandlerContext } from '../core/context';
import type { AnyFunction } from '../core/patch';
import { isAllowedSite, stopCall, type Described } from './describe';
import type { Guard, GuardedApi } from './guard';
import { judgingWrapper, passThrough, timedCall } from './judging';


/*
 * A call of a package that wraps another (quick.db wraps better-sqlite3) is one call to the user:
 * the blocking calls made during it, also after its awaits, are added up and reported once, at the
 * line that called the package. A call that ran no blocking call (quick.db on its MySQL driver) is
 * not reported. Strict mode stops the first blocking call inside it, before that call runs.
 */
export interface PackageCall {
  readonly g: GuardedApi;
  readonly handler: HandlerContext | undefined;
  readonly wrapper: AnyFunction;
  /** Read at the call for promise APIs: after an await the caller's line is off the stack. */
  readonly callers: Callers | undefined;
  readonly start: number;
  calls: number;
  durationMs: number;
  /** The module of the first blocking call inside it (`better-sqlite3`; `fs` for a quick.db driver on files). */
  blockedIn: string | undefined;
  /** The call returned (or settled): later calls in its async context are judged on their own. */
  done: boolean;
  /** Strict mode's ruling: the error every blocking call inside throws, or `pass` (allowed site). */
  ruling: Error | 'pass' | undefined;
}

const packageCalls = new AsyncLocalStorage<PackageCall>();

/**
 * The package call a blocking call is made during, if any (looked up inside handlers only, and
 * only while one is open: most bots never make one, and the lookup is a second context read).
 */
export function currentPackageCall(guard: Guard): PackageCall | undefined {
  if (guard.openPackageCalls === 0) return undefined;
  const call = packageCalls.getStore();
  return call === undefined || call.done ? undefined : call;
}

export function packageCallWrapper(guard: Guard, g: GuardedApi, original: AnyFunction): AnyFunction {
  // Never as it is: running as one guarded call would make the blocking calls inside a nested one
  // (enmap#set → enmap#get) the nested one's, not the outer package call's.
  return judgingWrapper(guard, original, () => false, (self, args, handler, wrapper) => {
    // Inside another guarded call or package call: part of that one.
    if (guard.depth > 0 || currentPackageCall(guard) !== undefined) return Reflect.apply(original, self, args);
    return packageCall(guard, g, original, self, args, handler, wrapper);
  }, g.entry.path.at(-1));
}

function packageCall(guard: Guard, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>, handler: HandlerContext | undefined, wrapper: AnyFunction): unknown {
  let callers: Callers | undefined;
  if (g.entry.async === true) {
    try {
      callers = readCallers(captureFrames(wrapper, 16));
    } catch (error) {
      guard.bus.fail(error, 'reading the call site');
    }
  }
  const call: PackageCall = { g, handler, wrapper, callers, start: now(), calls: 0, durationMs: 0, blockedIn: undefined, done: false, ruling: undefined };
  let result: unknown;
  let returned = false;
  guard.openPackageCalls++;
  try {
    result = packageCalls.run(call, () => Reflect.apply(original, self, args));
    returned = true;
  } finally {
    // Not a catch: the error goes on as thrown (Node prints the place of its last throw).
    if (!returned) finish(guard, call);
  }
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    finish(guard, call);
    return result;
  }
  return settled(guard, result as PromiseLike<unknown>, call);
}

/** The promise's outcome, after the call is reported (a rejection stays unhandled if the caller ignores it). */
async function settled(guard: Guard, promise: PromiseLike<unknown>, call: PackageCall): Promise<unknown> {
  try {
    return await promise;
  } finally {
    finish(guard, call);
  }
}

/** A blocking call made during a package call: counted as part of it (or, in strict mode, stopped with it). */
export function callInPackageCall(guard: Guard, call: PackageCall, g: GuardedApi, original: AnyFunction, self: unknown, args: ArrayLike<unknown>): unknown {
  if (call.g.allowed || call.handler?.allowBlocking === true || call.ruling === 'pass') return passThrough(guard, original, self, args);
  call.blockedIn ??= g.entry.module;
  if (guard.strict) {
    call.ruling ??= rule(guard, call);
    if (call.ruling !== 'pass') throw call.ruling;
    return passThrough(guard, original, self, args);
  }
  return timedCall(guard, original, self, args, (durationMs) => {
    call.calls++;
    call.durationMs += durationMs;
  });
}

/** Strict mode, at the package call's first blocking call: the error to stop it with, published once. */
function rule(guard: Guard, call: PackageCall): Error | 'pass' {
  let callers: Callers | undefined;
  let described: Described | undefined;
  try {
    callers = call.callers ?? callersOf(call.wrapper);
    described = describe(guard, call, callers);
  } catch (error) {
    guard.bus.fail(error, 'reading the call site');
  }
  if (callers === undefined || described === undefined) return 'pass';
  return stopCall(guard, described, call.handler, callers, call.wrapper);
}

function finish(guard: Guard, call: PackageCall): void {
  call.done = true;
  guard.openPackageCalls--;
  if (call.calls === 0 || call.durationMs < guard.settings.thresholdMs) return;
  try {
    // A synchronous API returns with its caller still on the stack.
    const callers = call.callers ?? callersOf(call.wrapper);
    const described = describe(guard, call, callers);
    if (described === undefined) return;
    guard.bus.occurrences.publish({ ...described, outcome: 'ran', durationMs: call.durationMs, time: timeOrigin() + call.start, handler: call.handler, callers });
  } catch (error) {
    guard.bus.fail(error, 'reporting a blocking call');
  }
}

/** `quick.db → better-sqlite3`, after the application's dependency that called it, if any. */
function describe(guard: Guard, call: PackageCall, callers: Callers): Described | undefined {
  if (isAllowedSite(guard, callers)) return undefined;
  const entry = call.g.entry;
  const via = [callers.via, entry.module, call.blockedIn].filter((p) => p !== undefined).join(' → ');
  return { api: entry.api, kind: entry.kind, hint: entry.alternative, via };
}
