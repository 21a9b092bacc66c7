import { callersOf } from '../core/call-sites';
import { now, timeOrigin } from '../core/clock';
import type { HandlerContext } from '../core/context';
import { withoutOwnFrames, wrapperCode, wrapperCodeMark } from '../core/error-stacks';
import { rethrow } from '../core/rethrow';
import type { AnyFunction } from '../core/patch';
import { describeLoad, isAllowedSite } from './describe';
import type { Guard, LoadFrame } from './guard';
import { judgingWrapper } from './judging';

type RequireFn = (this: unknown, id: string) => unknown;

wrapperCode(wrappersFrom, wrappersTo);

/** This file's first function: its functions are wrapper code (core/error-stacks.ts). */
function wrappersFrom(): ReturnType<typeof wrapperCodeMark> {
  return wrapperCodeMark();
}

/**
 * Wraps Module.prototype.require. Inside a handler, a require is one call: the files it reads
 * (and blocking calls its modules make while they load) are reported once, as a `module-load`,
 * and only when the require really went to disk (a cached require reads nothing). Every require
 * is told to the guard's require listeners before and its load listeners after (lazy builtins are
 * wrapped when the app loads them).
 */
export function requireWrapper(guard: Guard, original: RequireFn): RequireFn {
  const judged = judgingWrapper(guard, original as AnyFunction, (self, args, handler, wrapper) => {
    if (guard.depth > 0 || handler?.allowBlocking === true) return Reflect.apply(original, self, args);
    return judgedRequire(guard, original, self, args, String(args[0]), handler, wrapper);
  });
  const wrapper = function (this: unknown, id: string): unknown {
    const before = guard.requireListeners.items;
    if (before.length > 0) for (const listener of before) listener(id, this);
    let loaded: unknown;
    try {
      loaded = Reflect.apply(judged, this, arguments);
    } catch (error) {
      withoutOwnFrames(error, wrapper);
      rethrow(error);
    }
    const listeners = guard.loadListeners.items;
    if (listeners.length > 0) for (const listener of listeners) listener(id, loaded);
    return loaded;
  };
  return wrapper;
}

function judgedRequire(guard: Guard, original: RequireFn, self: unknown, args: IArguments, id: string, handler: HandlerContext | undefined, wrapper: AnyFunction): unknown {
  const frame: LoadFrame = { id, touched: false, stopped: undefined, accepted: false };
  const outer = guard.loading;
  guard.loading = frame;
  guard.depth++;
  const start = now();
  try {
    return Reflect.apply(original, self, args);
  } finally {
    guard.depth--;
    guard.loading = outer;
    if (frame.touched && frame.stopped === undefined) {
      const durationMs = now() - start;
      if (durationMs >= guard.settings.thresholdMs) reportLoad(guard, frame, handler, wrapper, durationMs, start);
    }
  }
}

function reportLoad(guard: Guard, frame: LoadFrame, handler: HandlerContext | undefined, wrapper: AnyFunction, durationMs: number, start: number): void {
  try {
    const callers = callersOf(wrapper);
    // The frames above the wrapper are Node's require helper and the line that called it.
    const requirer = callers.requirer ?? callers.origin;
    const described = describeLoad(guard, 'require', requirer, frame.id);
    if (described === undefined || isAllowedSite(guard, callers)) return;
    guard.bus.occurrences.publish({ ...described, outcome: 'ran', durationMs, time: timeOrigin() + start, handler, callers });
    // Reported as a module load: a stall of the same time is not reported again.
    guard.bus.timing?.explained(durationMs);
  } catch (error) {
    guard.bus.fail(error, 'reporting a module load');
  }
}

/** This file's last function (see wrappersFrom). */
function wrappersTo(): ReturnType<typeof wrapperCodeMark> {
  return wrapperCodeMark();
}
