import { performance } from 'node:perf_hooks';
import { handlerStorage, type HandlerContext } from '../context';
import { callersOf } from './callers';
import { describeLoad } from './call';
import { isAllowedSite } from './verdict';
import { explained, watched } from '../watchdog/watchdog';
import { state, type LoadFrame } from './state';

type RequireFn = (this: unknown, id: string) => unknown;

const storage = handlerStorage;
const timeOrigin = performance.timeOrigin;

/** Called with every module the application requires (loopguard uses it to patch lazy builtins). */
export const loadListeners: ((id: string, exports: unknown) => void)[] = [];

/**
 * Wraps Module.prototype.require. Inside a handler, a require is one unit: the files it reads
 * (and blocking calls its modules make while they load) are reported once, as a `module-load`,
 * and only when the require really went to disk (a cached require reads nothing).
 */
export function createRequireWrapper(original: RequireFn): RequireFn {
  const wrapper = function (this: unknown, id: string): unknown {
    const store = storage.getStore();
    const loaded = (store === undefined && !state.everywhere) || state.depth > 0 || store?.allowBlocking === true
      ? Reflect.apply(original, this, arguments)
      : guardedRequire(original, this, arguments, id, store, wrapper);
    if (loadListeners.length > 0) for (const listener of loadListeners) listener(id, loaded);
    return loaded;
  };
  return wrapper;
}

function guardedRequire(
  original: RequireFn, self: unknown, args: IArguments, id: string,
  store: HandlerContext | undefined, wrapper: RequireFn,
): unknown {
  const frame: LoadFrame = { id: String(id), touched: false, stopped: undefined, accepted: false };
  const outer = state.loading;
  state.loading = frame;
  state.depth++;
  const start = performance.now();
  try {
    return Reflect.apply(original, self, args);
  } finally {
    state.depth--;
    state.loading = outer;
    if (frame.touched && frame.stopped === undefined) {
      const durationMs = performance.now() - start;
      if (durationMs >= state.settings.thresholdMs) reportLoad(frame, store, wrapper, durationMs, start);
    }
  }
}

function reportLoad(frame: LoadFrame, store: HandlerContext | undefined, wrapper: RequireFn, durationMs: number, start: number): void {
  try {
    const callers = callersOf(wrapper);
    // The frames above the wrapper are Node's require helper and the line that called it.
    const requirer = callers.requirer ?? callers.origin;
    const described = describeLoad('require', requirer, frame.id);
    if (described === undefined || isAllowedSite(callers)) return;
    state.dispatcher.record({ ...described, outcome: 'ran', durationMs, time: timeOrigin + start, handler: store, callers });
    // Reported as a module load: a stall of the same time is not reported again.
    if (watched !== undefined) explained(watched, durationMs);
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a module load');
  }
}
