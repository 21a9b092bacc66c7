import { outsideHandlers } from '../core/context';
import { isBlockingCallError } from '../core/errors';
import type { Undo } from '../core/undo';

/*
 * Strict mode's policy for a running bot: a BlockingCallError ends the handler that made the call
 * and nothing more. A handler's un-awaited async work that hits it ends as an unhandled rejection,
 * which would stop the whole bot — the opposite of a dev-mode guard. So those are contained here
 * (they were reported already), and every other unhandled rejection is left to Node's own
 * handling, whatever `--unhandled-rejections` says: Node applies it only when nobody listens, so
 * loopguard stops listening for a moment and lets Node see the same rejection again.
 */

/** Node's --unhandled-rejections mode for this process (the last one given wins). */
function unhandledRejectionsMode(): string {
  let mode = 'throw';
  const args = [...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/), ...process.execArgv];
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith('--unhandled-rejections=')) mode = arg.slice('--unhandled-rejections='.length);
    else if (arg === '--unhandled-rejections' && args[i + 1] !== undefined) mode = args[i + 1] as string;
  }
  return mode;
}

/** Contains strict mode's errors from now on; returns the undo. */
export function containStrictErrors(): Undo {
  let on = true;
  // `warn` warns whether anybody listens or not: Node has said it already.
  const leaveToNode = unhandledRejectionsMode() !== 'warn';
  const onRejection = (reason: unknown): void => {
    if (isBlockingCallError(reason)) return;
    if (!leaveToNode || process.listenerCount('unhandledRejection') > 1) return; // said already, or the app handles them its own way
    process.removeListener('unhandledRejection', onRejection);
    void Promise.reject(reason); // unhandled on purpose: Node's --unhandled-rejections mode decides
    outsideHandlers(() => setImmediate(() => {
      if (on && !process.listeners('unhandledRejection').includes(onRejection)) process.on('unhandledRejection', onRejection);
    }));
  };
  process.on('unhandledRejection', onRejection);
  return () => {
    on = false;
    process.removeListener('unhandledRejection', onRejection);
  };
}
