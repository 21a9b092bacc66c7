import { BroadcastChannel, getEnvironmentData, Worker } from 'node:worker_threads';
import { epochNow, now } from '../core/clock';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { builtFile } from '../core/own-files';
import { raw } from '../core/raw';
import { countLines, destinationName, keptCap, lineFileTo, notWrittenNews, worksAgainNews, type LineFile } from './line-file';
import { Slot, linesChannel, takeTurnsUpTo, threadMarker, writeLock, type FromThread, type RelayedLine, type ThreadData, type ToThread, type WriteLock } from './protocol';
import type { StallCheckOptions } from './stall-check';

/*
 * The main thread's side of loopguard's own thread (entry.ts): report lines are posted to it
 * (no system call here), and a new report's line is waited for a few milliseconds, so that it is
 * on disk before the blocking call returns to the app; if the thread has not taken it by then, it
 * is written here. If the thread cannot start or dies, the lines it had not handled are written
 * here, synchronously, and so is everything after.
 */

/** Where report lines go. */
export interface Lines {
  /** Queues text (whole lines). */
  write(text: string): void;
  /** A new report: written before this returns when the thread answers within a few ms. */
  writeNow(text: string): void;
  /** Writes `last` and closes a file (stderr stays open). */
  end(last?: string): void;
}

/** A destination, checked and open: a report file (by path, with its descriptor) or stderr. */
export interface LinesTarget {
  fd: number;
  path?: string;
}

/** Where a sink gets its Lines: loopguard's thread (or, in a worker thread, the main thread's). */
export type LinesFor = (target: LinesTarget) => Lines;

export interface ThreadHooks {
  /** Writing a destination failed (the thread has said it on stderr). */
  onFailure(text: string): void;
}

/** How long a new report's line is waited for. */
const nowWaitMs = 5;
/** Lines remembered until the thread has handled them (to write them here if it dies). */
const rememberCap = 10_000;

const entryFile = builtFile('thread/entry.js');

interface Unhandled {
  seq: number;
  id: number;
  text: string;
  /** Written here: the thread was too slow to take it. */
  taken?: true;
}

export class OwnThread {
  readonly origin = epochNow();
  /** Taken around each write of a report file here (never waited for: the thread has it for µs). */
  private readonly lock: WriteLock;
  private worker: Worker | undefined;
  private seq = 0;
  private nextId = 1;
  private unhandled: Unhandled[] = [];
  private readonly targets = new Map<number, LinesTarget>();
  /** Without the thread: the destinations written here. */
  private inline: Map<number, LineFile> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private online = false;
  /** launchSoon() has scheduled a launch. */
  private launching = false;
  /** launch() has run. */
  private launched = false;
  /** The destinations written here while the thread starts. */
  private boot: Map<number, LineFile> | undefined;
  /** Destinations whose lines go to the thread although it is still starting (a write here failed). */
  private readonly bootFailed = new Set<number>();
  /** Messages posted before the thread starts. */
  private readonly pending: ToThread[] = [];
  /** loopguard's own warnings: always on stderr, also under --no-warnings (the user asked for loopguard). */
  private warnings: Lines | undefined;

  /**
   * `shared`: the slots (thread/protocol.ts' sharedSlots), which the runtime made at install. The
   * thread is not started here but at the next turn of the loop after the first line to write
   * (written here meanwhile), or by launch() (the watchdog, armed at the first handler): a process
   * that ends before then (node -e, a short script) never starts it, which is most of what
   * loopguard would add to such a process' time (Node joins a starting thread at exit), and a bot
   * connecting to its gateway does not wait for it (READY came 6 ms later when it did).
   */
  constructor(readonly shared: Int32Array, private readonly hooks: ThreadHooks) {
    this.lock = writeLock(shared, false);
  }

  /** One line on stderr: `[loopguard] warning: …`. */
  warn(text: string): void {
    this.warnings ??= this.lines({ fd: 2 });
    this.warnings.write(`[loopguard] warning: ${text}\n`);
  }

  /**
   * Starts the thread now, once; where it cannot run, everything is written here. The watchdog,
   * armed, needs it now.
   */
  launch(): void {
    if (this.launched || this.inline !== undefined || this.stopped) return;
    // Set first: Node tells of the new Worker (process' 'worker' event) before it returns.
    this.launched = true;
    const env = { ...process.env };
    // A preload given in NODE_OPTIONS would load loopguard in its own thread too.
    delete env['NODE_OPTIONS'];
    const workerData: ThreadData = { [threadMarker]: true, buffer: this.shared.buffer as SharedArrayBuffer, origin: this.origin, relay: isMainThread };
    let worker: Worker;
    try {
      // Outside any handler: its messages must never be judged as a handler's work. Its own stdout
      // and stderr are not piped into the process' (a pipe to a closed stdout makes Node exit 1).
      worker = outsideHandlers(() => new Worker(entryFile, { workerData, execArgv: [], env, stdout: true, stderr: true }));
    } catch (error) {
      this.takeOver();
      this.warn(`loopguard's thread could not start (${error instanceof Error ? error.message : String(error)}): report lines are written on the main thread, stall reports come without stacks`);
      return;
    }
    // Whatever it would print goes nowhere: unread, its output would keep the process alive.
    worker.stdout.destroy();
    worker.stderr.destroy();
    worker.on('message', (message: FromThread) => {
      if (message.op === 'failed') this.hooks.onFailure(message.text);
    });
    worker.on('error', () => this.takeOver());
    worker.on('exit', () => this.takeOver());
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.worker = worker;
    for (const message of this.pending.splice(0)) worker.postMessage(message);
  }

  /** At the next turn of the loop, which it does not keep alive (nor does anything else of loopguard's). */
  private launchSoon(): void {
    if (this.launching) return;
    this.launching = true;
    outsideHandlers(() => setImmediate(() => this.launch()).unref());
  }

  /** Whether the stall watchdog can run in it: it runs or will (it has not failed to start). */
  get running(): boolean {
    return this.inline === undefined;
  }

  lines(target: LinesTarget): Lines {
    const id = this.nextId++;
    this.targets.set(id, target);
    // The descriptor the main thread opened (and checked) is written here while the thread starts.
    if (target.path !== undefined) this.bootLines(id);
    if (this.inline !== undefined) this.inline.set(id, this.lineFile(target));
    else this.post(target.path === undefined ? { op: 'open', id, fd: target.fd } : { op: 'open', id, path: target.path });
    return {
      write: (text) => this.write(id, text, false),
      writeNow: (text) => this.write(id, text, true),
      end: (last = '') => {
        if (last !== '') this.write(id, last, false);
        if (target.path === undefined) return;
        if (this.inline !== undefined) this.inline.get(id)?.close();
        else this.post({ op: 'close', id });
        this.boot?.get(id)?.close();
        this.boot?.delete(id);
        this.targets.delete(id);
      },
    };
  }

  watch(options: StallCheckOptions): void {
    this.post({ op: 'watch', ...options });
  }

  unwatch(): void {
    this.post({ op: 'unwatch' });
  }

  /**
   * At exit or uninstall: asks the thread to write what it holds and end, waits for that (at most
   * `timeoutMs`), and writes here what it has not taken.
   */
  stop(timeoutMs = 1000): void {
    if (this.stopped) return;
    const deadline = now() + timeoutMs;
    this.waitForRelayed(timeoutMs);
    this.stopped = true;
    const worker = this.worker;
    // Nothing posted, nothing to wait for (a short run, exiting as the thread starts).
    if (this.seq > 0 || Atomics.load(this.shared, Slot.relayPosted) > 0) {
      this.post({ op: 'stop' });
      this.waitFor(Slot.stopped, 1, deadline - now());
    }
    // Writing goes on here; if the thread did not answer in time (starved of CPU, stuck), so do
    // the lines it had not taken.
    this.takeOver();
    for (const file of [...this.inline?.values() ?? [], ...this.boot?.values() ?? []]) file.close();
    if (worker !== undefined) void worker.terminate();
  }

  private write(id: number, text: string, now: boolean): void {
    if (this.inline !== undefined) {
      const file = this.inline.get(id);
      file?.write(text);
      if (file?.waiting === true) this.retryLater();
      return;
    }
    if (!this.launched) this.launchSoon();
    if (!this.online && !(this.online = Atomics.load(this.shared, Slot.online) === 1) && !this.bootFailed.has(id)) {
      // The thread is still starting (a few tens of ms after install): written here meanwhile, so
      // that nothing waits for it. What cannot be written here (mock-fs patching this thread's fs,
      // a full disk) goes to the thread, and so does everything after it, in order.
      text = this.bootLines(id).tryWrite(text);
      if (text === '') return;
      this.bootFailed.add(id);
    }
    const seq = ++this.seq;
    this.remember({ seq, id, text });
    this.post({ op: 'line', id, text, seq });
    if (now && !this.wait(seq, nowWaitMs)) this.takeTurns(seq);
  }

  /**
   * The thread has not taken line `seq` in time (starved of CPU by a busy host or the app's busy
   * thread pool): the lines up to it that it has not taken are written here, in order, and the
   * thread skips them. A new report's line is then on disk before the call returns, whatever
   * comes next (a signal, a crash).
   */
  private takeTurns(seq: number): void {
    const lineOf = (n: number): Unhandled | undefined => this.unhandled.find((l) => l.seq === n);
    // Not remembered (past the cap) or its destination closed since: left to the thread.
    takeTurnsUpTo(this.shared, seq, (n) => this.targets.has(lineOf(n)?.id ?? -1), (n) => {
      const line = lineOf(n) as Unhandled;
      line.taken = true;
      const left = this.bootLines(line.id).tryWrite(line.text);
      // What cannot be written here (a full disk, mock-fs) goes back to the thread, which retries.
      if (left !== '') this.write(line.id, left, false);
    });
  }


  /** To the thread; kept until it starts. */
  private post(message: ToThread): void {
    if (this.worker !== undefined) this.worker.postMessage(message);
    else if (this.inline === undefined && !this.stopped) this.pending.push(message);
  }

  /** Waits until the thread has handled line `seq`, at most `timeoutMs`: whether it has. */
  private wait(seq: number, timeoutMs: number): boolean {
    return this.waitFor(Slot.handled, seq, timeoutMs);
  }

  /** Waits until `slot` reaches `value`, at most `timeoutMs`, while the thread runs: whether it did. */
  private waitFor(slot: number, value: number, timeoutMs: number): boolean {
    const deadline = now() + timeoutMs;
    for (let at = Atomics.load(this.shared, slot); at < value; at = Atomics.load(this.shared, slot)) {
      const left = deadline - now();
      if (left <= 0 || this.worker === undefined) return false;
      raw.atomicsWait(this.shared, slot, at, left);
    }
    return true;
  }

  /** Waits (at most `timeoutMs`) until the thread has handled what the app's worker threads posted. */
  private waitForRelayed(timeoutMs: number): void {
    const deadline = now() + timeoutMs;
    for (;;) {
      const handled = Atomics.load(this.shared, Slot.relayHandled);
      const left = deadline - now();
      if (handled >= Atomics.load(this.shared, Slot.relayPosted) || left <= 0 || this.worker === undefined) return;
      raw.atomicsWait(this.shared, Slot.relayHandled, handled, Math.min(left, 10));
    }
  }

  private remember(line: Unhandled): void {
    const handled = Atomics.load(this.shared, Slot.handled);
    let first = 0;
    while (first < this.unhandled.length && (this.unhandled[first] as Unhandled).seq <= handled) first++;
    if (first > 0) this.unhandled.splice(0, first);
    if (this.unhandled.length < rememberCap) this.unhandled.push(line);
  }

  /** The thread is gone (or stopping): what it had not handled is written here, and so is all that follows. */
  private takeOver(): void {
    if (this.inline !== undefined) return;
    const handled = Atomics.load(this.shared, Slot.handled);
    this.worker = undefined;
    const inline = new Map<number, LineFile>();
    // A file by its path again: the thread may have opened it anew, and the first descriptor's
    // number may belong to another file by now.
    for (const [id, target] of this.targets) inline.set(id, this.lineFile(target, target.path === undefined ? target.fd : undefined));
    this.inline = inline;
    for (const line of this.unhandled) if (line.seq > handled && line.taken !== true) inline.get(line.id)?.write(line.text);
    this.unhandled = [];
    if ([...inline.values()].some((f) => f.waiting)) this.retryLater();
  }

  private bootLines(id: number): LineFile {
    this.boot ??= new Map();
    let file = this.boot.get(id);
    if (file === undefined) this.boot.set(id, file = this.lineFile(this.targets.get(id) as LinesTarget));
    return file;
  }

  /** `fd` undefined: the file is opened by its path on the first write. */
  private lineFile(target: LinesTarget, fd: number | undefined = target.fd): LineFile {
    const onNews = (text: string, failed: boolean): void => {
      if (target.path !== undefined) this.warn(text);
      if (failed) this.hooks.onFailure(text);
    };
    return lineFileTo(target.path ?? target.fd, fd, { onNews, mayWait: false, io: raw }, this.lock);
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    this.retryTimer = outsideHandlers(() => setTimeout(() => {
      this.retryTimer = undefined;
      if ([...this.inline?.values() ?? []].some((f) => !f.retry())) this.retryLater();
    }, 1000).unref());
  }
}

/** How often a worker thread tries again a line it could not write while nobody listens on the channel. */
const heldRetryMs = 10;

/**
 * In a worker thread of the app: lines for the main thread's loopguard thread to write, if one
 * runs. `onNews`: lines were dropped or never written (`failed`), as a report file's writer says.
 */
export function relayedLines(to: string | number, onNews: (text: string, failed: boolean) => void): Lines | undefined {
  const buffer = isMainThread ? undefined : getEnvironmentData(linesChannel);
  if (!(buffer instanceof SharedArrayBuffer)) return undefined;
  const shared = new Int32Array(buffer);
  const channel = new BroadcastChannel(linesChannel);
  channel.unref();
  const online = (): boolean => Atomics.load(shared, Slot.online) === 1;
  const relay = (text: string): void => {
    Atomics.add(shared, Slot.relayPosted, 1);
    channel.postMessage({ to, text } satisfies RelayedLine);
  };
  // Before loopguard's thread runs (if it ever does: it starts with the app's first worker
  // thread), nobody listens on the channel, and a line posted there is lost: lines are written
  // here then. What cannot be written at once (the other writer holds the lock for a few µs, a
  // full disk) is held, in order, and tried again until it is written or the thread listens.
  let here: LineFile | undefined;
  let held = '';
  /** Lines past what is held, since the last time all that was held was written. */
  let dropped = 0;
  let retry: NodeJS.Timeout | undefined;
  // Only tried, as on the main thread; waited for at the end (the other writer leaves it within µs).
  let ending = false;
  const tries = writeLock(shared, false);
  const waits = writeLock(shared, true);
  const lock: WriteLock = { enter: () => (ending ? waits : tries).enter(), leave: () => tries.leave() };
  const drained = (): void => {
    if (dropped === 0) return;
    onNews(worksAgainNews(destinationName(to), dropped), false);
    dropped = 0;
  };
  const flush = (): void => {
    if (online()) {
      relay(held);
      held = '';
      return drained();
    }
    here ??= lineFileTo(to, undefined, { onNews: () => {}, mayWait: false, io: raw }, lock);
    held = here.tryWrite(held);
    if (held === '') return drained();
    if (retry !== undefined) return;
    retry = outsideHandlers(() => setTimeout(() => {
      retry = undefined;
      if (held !== '') flush();
    }, heldRetryMs).unref());
  };
  const post = (text: string): void => {
    if (held === '' && online()) return relay(text);
    // As a report file's writer keeps at most (a disk that stays full, a thread that never runs).
    if (held.length + text.length > keptCap) {
      dropped += countLines(Buffer.from(text));
      return;
    }
    held += text;
    flush();
  };
  return {
    write: post,
    writeNow: post,
    end(last = '') {
      if (last !== '') post(last);
      ending = true;
      if (held !== '') flush();
      clearTimeout(retry);
      const lost = countLines(Buffer.from(held)) + dropped;
      if (lost > 0) onNews(notWrittenNews(destinationName(to), 'busy', lost), true);
      here?.close();
    },
  };
}
