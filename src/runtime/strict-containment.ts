import { outsideHandlers } from '../core/context';
import { isBlockingCallError } from '../core/errors';
import type { Undo } from '../core/undo';

/*
 * Strict mode's policy for a running bot: a BlockingCallError ends the handler that made the call
 * and nothing more. Bot handlers are async, so the error usually ends as an unhandled rejection,
 * which would stop the whole bot — the opposite of a dev-mode guard. The error was reported
 * already; every other unhandled rejection keeps Node's default (crash).
 */

function onRejection(reason: unknown): void {
  if (isBlockingCallError(reason)) return;
  // We are the only listener: do what Node does without one.
  if (process.listenerCount('unhandledRejection') > 1) return;
  outsideHandlers(() => process.nextTick(() => {
    throw reason instanceof Error ? reason : Object.assign(new Error(`Unhandled promise rejection: ${String(reason)}`), { code: 'ERR_UNHANDLED_REJECTION' });
  }));
}

/** Contains strict mode's errors from now on; returns the undo. */
export function containStrictErrors(): Undo {
  process.on('unhandledRejection', onRejection);
  return () => {
    process.removeListener('unhandledRejection', onRejection);
  };
}
