import { channels } from '../core/channels';
import { OwnThread, relayedLines, type Lines, type LinesTarget } from './client';

/*
 * The thread the sinks write through: the one install() started, or one started on first use
 * (a sink made before install). In a worker thread of the app whose main thread runs loopguard,
 * lines go to the main thread's loopguard thread instead.
 */

let current: OwnThread | undefined;
let onFailure: (text: string) => void = () => {};

export function ownThread(): OwnThread {
  current ??= OwnThread.start({ onFailure: (text) => onFailure(text) });
  return current;
}

/** Counts what the thread says failed (the dispatcher's internal errors). */
export function onThreadFailure(fn: (text: string) => void): void {
  onFailure = fn;
}

/** Stops the thread (uninstall): writes what is queued first. */
export function stopOwnThread(): void {
  current?.stop();
  current = undefined;
}

export function linesFor(target: LinesTarget): Lines {
  return relayedLines(target.path ?? target.fd) ?? ownThread().lines(target);
}

/** One of loopguard's warnings on stderr (`[loopguard] warning: …`). */
export function warn(text: string): void {
  if (channels.warning.hasSubscribers) channels.warning.publish(text);
  const relayed = relayedLines(2);
  if (relayed !== undefined) relayed.write(`[loopguard] warning: ${text}\n`);
  else ownThread().warn(text);
}
