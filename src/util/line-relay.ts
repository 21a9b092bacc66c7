import { BroadcastChannel, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { handlerStorage } from '../context';
import { AsyncWriter, type LineWriter } from './async-writer';

/*
 * Report lines made in a worker thread are written by the main thread's loopguard. A worker ended
 * by `worker.terminate()` (discord.js' ShardingManager kills and respawns worker shards that way)
 * has its pending thread-pool writes cancelled with it; a message it posted is still delivered.
 * Workers know a main thread relays from the environment data it set before they started, so
 * there is no handshake; without it (loopguard only in the worker) they write themselves.
 */

const channelName = 'loopguard:report-lines:v1';

/** A line for a file (a path) or for the process' stdout/stderr (1 or 2). */
interface Lines {
  to: string | number;
  text: string;
}

export interface Relay {
  /** Writes what the workers sent that is still queued (at exit) and stops relaying. */
  end(): void;
}

/** Main thread: writes the lines workers send, for workers started from now on. */
export function startRelay(onError: (error: Error, to: string | number) => void): Relay | undefined {
  if (!isMainThread) return undefined;
  const writers = new Map<string | number, AsyncWriter>();
  // Made outside any handler: its messages must never be judged as a handler's work.
  const channel = handlerStorage.exit(() => new BroadcastChannel(channelName));
  channel.unref();
  channel.onmessage = (event: unknown) => {
    const { to, text } = (event as { data: Lines }).data;
    let writer = writers.get(to);
    if (writer === undefined) writers.set(to, writer = new AsyncWriter(to, (error) => onError(error, to)));
    writer.write(text);
  };
  setEnvironmentData(channelName, true);
  return {
    end() {
      setEnvironmentData(channelName, undefined);
      channel.close();
      for (const writer of writers.values()) writer.end();
      writers.clear();
    },
  };
}

/** Worker thread: a writer that hands its lines to the main thread, if one relays them. */
export function relayedWriter(to: string | number): LineWriter | undefined {
  if (isMainThread || getEnvironmentData(channelName) !== true) return undefined;
  const channel = new BroadcastChannel(channelName);
  channel.unref();
  return {
    write(text) {
      channel.postMessage({ to, text } satisfies Lines);
    },
    end(last = '') {
      if (last !== '') channel.postMessage({ to, text: last } satisfies Lines);
    },
  };
}
