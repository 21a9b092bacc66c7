import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { LineFile, lineFileTo, openReportFile } from './line-file';
import { Slot, linesChannel, takeTurn, writeLock, type FromThread, type RelayedLine, type ThreadData, type ToThread } from './protocol';
import { startStallCheck } from './stall-check';

/*
 * loopguard's own thread. It writes every report line (the main thread's and the app's worker
 * threads') and runs the stall watchdog. Being a thread of its own is the point: what was
 * reported reaches the disk within microseconds, whatever the main thread does next — spin,
 * block in execSync, wait behind a busy libuv thread pool, or die by a signal — and an fs patcher
 * the app installs on the main thread (mock-fs) does not touch this thread's fs.
 */

const data = workerData as ThreadData;
const shared = new Int32Array(data.buffer);
const port = parentPort;
if (port === null) throw new Error('loopguard: entry.ts runs as a worker thread');

const retryMs = 1000;
const lock = writeLock(shared, true);
const destinations = new Map<number, LineFile>();
/** Worker threads' destinations, by path or fd. */
const relayed = new Map<string | number, LineFile>();
let retryTimer: NodeJS.Timeout | undefined;
let stopStallCheck: (() => void) | undefined;
/** The app's worker threads' lines, when this thread writes them. */
let workerLines: BroadcastChannel | undefined;

/* loopguard's warnings reach stderr directly (also under --no-warnings: the user asked for loopguard). */
const stderr = new LineFile(2, { onNews: () => {}, mayWait: true });

function onNews(text: string, failed: boolean): void {
  stderr.write(`[loopguard] warning: ${text}\n`);
  if (failed) port?.postMessage({ op: 'failed', text } satisfies FromThread);
}

function retryLater(): void {
  if (retryTimer !== undefined) return;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    let waiting = false;
    for (const file of [...destinations.values(), ...relayed.values(), stderr]) if (!file.retry()) waiting = true;
    if (waiting) retryLater();
  }, retryMs);
  retryTimer.unref();
}

function write(file: LineFile, text: string): void {
  file.write(text);
  if (file.waiting) retryLater();
}

port.on('message', (message: ToThread) => {
  switch (message.op) {
    case 'open':
      destinations.set(message.id, lineFileTo('path' in message ? message.path : message.fd, undefined, { onNews, mayWait: true }, lock));
      break;
    case 'line': {
      const file = destinations.get(message.id);
      // Unless the main thread, tired of waiting, took this line and wrote it itself.
      if (takeTurn(shared, message.seq) && file !== undefined) write(file, message.text);
      Atomics.store(shared, Slot.handled, message.seq);
      Atomics.notify(shared, Slot.handled);
      break;
    }
    case 'close':
      destinations.get(message.id)?.close();
      destinations.delete(message.id);
      break;
    case 'watch':
      stopStallCheck?.();
      stopStallCheck = startStallCheck(shared, data.origin, message);
      break;
    case 'unwatch':
      stopStallCheck?.();
      stopStallCheck = undefined;
      break;
    case 'stop':
      stop();
      break;
  }
});

/**
 * Every message before 'stop' is handled (the main thread waits for the answer): a last try for
 * the lines kept, the files closed (what is still not written is said on stderr), then the thread
 * ends by itself. Being ended by terminate() instead could cut a write and its clean-up in two.
 */
function stop(): void {
  stopStallCheck?.();
  stopStallCheck = undefined;
  clearTimeout(retryTimer);
  for (const file of [...destinations.values(), ...relayed.values()]) file.close();
  destinations.clear();
  relayed.clear();
  workerLines?.close();
  stderr.retry();
  Atomics.store(shared, Slot.stopped, 1);
  Atomics.notify(shared, Slot.stopped);
  port?.close();
}

if (data.relay) relayWorkerLines();
Atomics.store(shared, Slot.online, 1);

function relayWorkerLines(): void {
  const channel = workerLines = new BroadcastChannel(linesChannel);
  channel.onmessage = (event: unknown) => {
    const { to, text } = (event as { data: RelayedLine }).data;
    let file = relayed.get(to);
    if (file === undefined) {
      let fd: number | undefined;
      try {
        fd = typeof to === 'number' ? to : openReportFile(to).fd;
      } catch {
        fd = undefined; // made again by path on the first write, or said then
      }
      relayed.set(to, file = lineFileTo(to, fd, { onNews, mayWait: true }, lock));
    }
    write(file, text);
    Atomics.add(shared, Slot.relayHandled, 1);
    Atomics.notify(shared, Slot.relayHandled);
  };
  channel.unref();
}
