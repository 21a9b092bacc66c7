import { now } from '../core/clock';
import { isMainThread } from '../core/main-thread';

/*
 * What the main thread and loopguard's own thread share: the slots of one SharedArrayBuffer
 * (Int32, read and written with Atomics) and the messages between them. Times in slots are
 * milliseconds since `origin`, an absolute time both threads read from core/clock's epochNow()
 * (performance.timeOrigin + performance.now()).
 */

/** Slot indexes. */
export const Slot = {
  /** Incremented by the main thread's heartbeat timer each time it runs: the loop turned. */
  beat: 0,
  /** When the last heartbeat ran, ms since origin. */
  beatAt: 1,
  /** 1 while a wrapped blocking call runs (its own report explains the time). */
  inCall: 2,
  /** Microseconds that wrapped blocking calls took since the last heartbeat (wraps; differences only). */
  explainedUs: 3,
  /** Set by the thread when it cannot read the main thread's stack (no inspector). */
  noInspector: 4,
  /** The sequence number of the last line the thread has handled (written, or kept to retry). */
  handled: 5,
  /** 1 once the thread runs: before that, the main thread writes lines itself. */
  online: 6,
  /** Lines the app's worker threads posted on the lines channel, and those the thread has handled: at exit, the main thread waits for the difference. */
  relayPosted: 7,
  relayHandled: 8,
  /**
   * The sequence number of the last line whose writer is decided: the thread takes each line in
   * order by moving it from seq - 1 to seq; the main thread takes the lines the thread was too
   * slow to take (starved of CPU) the same way. Each line is written once, by one of them.
   */
  turn: 9,
  /**
   * 1 while one of the two writes a report file (see writeLock): cutting a line torn by a full
   * disk off the file's end must never cut a line the other appended meanwhile.
   */
  writing: 10,
  /** Set by the thread once it has handled 'stop': every line written, or said on stderr as not written. */
  stopped: 11,
} as const;
export const slotCount = 12;

export const newSlots = (): Int32Array => new Int32Array(new SharedArrayBuffer(slotCount * 4));

/**
 * On the main thread, publishes `shared` for the app's worker threads (under linesChannel), which
 * look for it when they start: before loopguard's thread does, or before anything is reported at
 * all. Returns the undo.
 */
export function publishSlots(shared: Int32Array): () => void {
  if (!isMainThread) return () => {};
  // Loaded here, not with this file: a process that starts no worker thread never loads it (see worker-slots.ts).
  const { getEnvironmentData, setEnvironmentData } = require('node:worker_threads') as typeof import('node:worker_threads');
  setEnvironmentData(linesChannel, shared.buffer);
  return () => {
    if (getEnvironmentData(linesChannel) === shared.buffer) setEnvironmentData(linesChannel, undefined);
  };
}

/** The thread's side of Slot.turn: whether line `seq` is its to write (the main thread has not taken it). */
export function takeTurn(shared: Int32Array, seq: number): boolean {
  return Atomics.compareExchange(shared, Slot.turn, seq - 1, seq) === seq - 1;
}

/**
 * The main thread's side of Slot.turn: takes the lines up to `seq` that the thread has not taken,
 * in order, and gives each to `take`; stops at the first that `mayTake` refuses (left to the thread).
 */
export function takeTurnsUpTo(shared: Int32Array, seq: number, mayTake: (seq: number) => boolean, take: (seq: number) => void): void {
  for (let turn = Atomics.load(shared, Slot.turn); turn < seq; turn = Atomics.load(shared, Slot.turn)) {
    if (!mayTake(turn + 1)) return;
    if (Atomics.compareExchange(shared, Slot.turn, turn, turn + 1) === turn) take(turn + 1);
  }
}

/** One writer at a time for the report files of this process: the main thread's and loopguard's thread's. */
export interface WriteLock {
  /** Whether the caller may write now (it must then `leave()`). */
  enter(): boolean;
  leave(): void;
}

/** How long loopguard's thread waits for the main thread to finish a write (a few µs as a rule). */
const lockWaitMs = 1000;

/**
 * The lock on Slot.writing. The main thread only tries it (`waits` false: it never waits, and
 * leaves the line to the thread when the thread is writing); the thread waits for it.
 */
export function writeLock(shared: Int32Array, waits: boolean): WriteLock {
  return {
    enter() {
      if (Atomics.compareExchange(shared, Slot.writing, 0, 1) === 0) return true;
      if (!waits) return false;
      const deadline = now() + lockWaitMs;
      while (Atomics.compareExchange(shared, Slot.writing, 0, 1) !== 0) {
        const left = deadline - now();
        if (left <= 0) return false;
        Atomics.wait(shared, Slot.writing, 1, Math.min(left, 10));
      }
      return true;
    },
    leave() {
      Atomics.store(shared, Slot.writing, 0);
      Atomics.notify(shared, Slot.writing);
    },
  };
}

/** What the thread is started with. */
export interface ThreadData {
  /** Marks loopguard's own thread: a preload inherited through NODE_OPTIONS stays inactive in it. */
  readonly [threadMarker]: true;
  readonly buffer: SharedArrayBuffer;
  readonly origin: number;
  /** Started by the main thread: it also writes the lines of the app's worker threads. */
  readonly relay: boolean;
}
export const threadMarker = 'loopguard.own-thread.v1';

/** Where report lines go: a file loopguard opened (by path), or the process' stderr/stdout. */
export type OpenLines =
  | { op: 'open'; id: number; fd: number }
  /* A report file the main thread checked: the thread opens it itself (a thread closes only what it opened). */
  | { op: 'open'; id: number; path: string };

export type ToThread =
  | OpenLines
  | { op: 'line'; id: number; text: string; seq: number }
  | { op: 'close'; id: number }
  | { op: 'watch'; stallMs: number; beatMs: number; capture: boolean }
  | { op: 'unwatch' }
  /* At exit or uninstall: the thread writes what it holds, closes its files and ends. */
  | { op: 'stop' };

/** Writing a destination failed: the main thread counts it (the thread has said it on stderr). */
export type FromThread = { op: 'failed'; text: string };

/**
 * Report lines of worker threads of the app reach the thread on this channel: a worker ended by
 * `terminate()` (ShardingManager's kill and respawn) still delivers what it posted. Workers find
 * the shared slots under this name in their environment data (set by the main thread).
 */
export const linesChannel = 'loopguard:report-lines:v2';
/** A line from a worker thread: for a file path (it checked the file when it started) or fd 2. */
export interface RelayedLine {
  to: string | number;
  text: string;
}

