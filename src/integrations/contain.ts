import { handlerStorage } from '../context';

/*
 * Strict mode throws a BlockingCallError inside the handler. Bot handlers are async, so the
 * error usually ends as an unhandled rejection, which would stop the whole bot — the opposite
 * of a dev-mode guard. The error was reported already; here it ends the handler and nothing
 * more, while every other unhandled rejection keeps Node's default (crash).
 */

const code = 'ERR_LOOPGUARD_BLOCKING_CALL';
let installed = false;

export function isBlockingCallError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function onRejection(reason: unknown): void {
  if (isBlockingCallError(reason)) return;
  // We are the only listener: do what Node does without one.
  if (process.listenerCount('unhandledRejection') > 1) return;
  handlerStorage.exit(() => process.nextTick(() => {
    throw reason instanceof Error ? reason : Object.assign(new Error(`Unhandled promise rejection: ${String(reason)}`), { code: 'ERR_UNHANDLED_REJECTION' });
  }));
}

export function containStrictErrors(on: boolean): void {
  if (on === installed) return;
  installed = on;
  if (on) process.on('unhandledRejection', onRejection);
  else process.removeListener('unhandledRejection', onRejection);
}
