import { callersOf } from '../core/call-sites';
import { now, timeOrigin } from '../core/clock';
import { handlerStorage as storage, type HandlerContext } from '../core/context';
import { withoutOwnFrames } from '../core/error-stacks';
import { isFileRequest } from '../core/packages';
import { rethrow } from '../core/rethrow';
import type { AnyFunction } from '../core/patch';
import { describeLoad, isAllowedSite } from './describe';
import type { Guard, LoadFrame } from './guard';
import { judges } from './judging';

type RequireFn = (this: unknown, id: string) => unknown;

/**
 * Wraps Module.prototype.require. Inside a handler, a require is one call: the files it reads
 * (and blocking calls its modules make while they load) are reported once, as a `module-load`,
 * and only when the require really went to disk (a cached require reads nothing). The require
 * of a package or a builtin is told to the guard's require listeners before it runs. One
 * function, not a judging wrapper inside another: a library requires hundreds of files at
 * start-up, and each frame and listener loop is paid at each.
 */
export function requireWrapper(guard: Guard, original: RequireFn): RequireFn {
  const wrapper = function (this: unknown, id: string): unknown {
    // Most of a library's requires are of its own files, which no listener looks for (a third of
    // what the wrapper cost a discord.js start-up went to listeners that let them pass).
    if (typeof id !== 'string' || !isFileRequest(id)) {
      const before = guard.requireListeners.items;
      for (let i = 0; i < before.length; i++) before[i]!(id, this);
    }
    let loaded: unknown;
    try {
      const handler = storage.getStore();
      loaded = judges(guard, handler) && guard.depth === 0 && handler?.allowBlocking !== true
        ? judgedRequire(guard, original, this, arguments, String(id), handler, wrapper as AnyFunction)
        : Reflect.apply(original, this, arguments);
    } catch (error) {
      withoutOwnFrames(error, wrapper);
      rethrow(error);
    }
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
