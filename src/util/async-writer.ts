import { handlerStorage } from '../context';
import { raw } from './raw-fs';

/** Where loopguard's sinks put their lines: written without blocking, the rest at exit. */
export interface LineWriter {
  write(text: string): void;
  /** At exit or uninstall: writes what is queued (and `last`) synchronously; closes a file it opened. */
  end(last?: string): void;
}

/*
 * Writers with a write under way. A process that a signal ends dies without draining libuv's
 * thread pool, so a line handed to it would be lost: process-end.ts waits for these first.
 */
const writing = new Set<AsyncWriter>();
let onDrained: (() => void)[] = [];

/** Calls `done` once no writer has a write under way (now, if none has). */
export function afterWrites(done: () => void): void {
  if (writing.size === 0) done();
  else onDrained.push(done);
}

function setWriting(writer: AsyncWriter, busy: boolean): void {
  if (busy) {
    writing.add(writer);
    return;
  }
  writing.delete(writer);
  if (writing.size > 0 || onDrained.length === 0) return;
  const waiting = onDrained;
  onDrained = [];
  for (const done of waiting) done();
}

export interface WriterOptions {
  /** Close the descriptor at `end()` (it was opened for this writer). Default: when given a path. */
  close?: boolean;
  /** The file the descriptor is open on: made again if it is deleted meanwhile. */
  path?: string;
}

/**
 * Appends text to a file descriptor without blocking the event loop: writes go through libuv's
 * thread pool, one at a time, in order. Given a path, it opens the file (0600, appending) itself,
 * also without blocking, and closes it at `end()`; given a descriptor, it leaves it open. A file
 * deleted while it is written to (rm, or its folder removed) is made again before the next write,
 * or the writer fails with the reason, instead of writing into a file nobody can read.
 */
export class AsyncWriter implements LineWriter {
  private queue: string[] = [];
  private writing = false;
  private failed = false;
  private fd: number | undefined;
  private readonly path: string | undefined;
  private readonly owned: boolean;
  /** Lines taken from the queue while the file is checked, not yet handed to a write. */
  private held: string | undefined;
  private onIdle: (() => void) | undefined;

  constructor(
    target: number | string,
    private readonly onError: (error: Error) => void,
    options: WriterOptions = {},
  ) {
    if (typeof target === 'number') this.fd = target;
    this.path = typeof target === 'string' ? target : options.path;
    this.owned = options.close ?? typeof target === 'string';
  }

  write(text: string): void {
    if (this.failed) return;
    this.queue.push(text);
    if (this.writing) return;
    // Start on the next turn: lines of one turn go out in one write, and lines queued during
    // exit stay queued for end() instead of starting a write that would never finish.
    this.setBusy(true);
    handlerStorage.exit(() => setImmediate(() => this.next()));
  }

  private next(): void {
    if (this.queue.length === 0 || this.failed) {
      this.setBusy(false);
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle?.();
      return;
    }
    const fd = this.fd;
    if (fd === undefined) {
      raw.open(this.path as string, 'a', 0o600, (error, opened) => {
        if (error) return this.fail(error);
        if (this.fd === undefined) this.fd = opened;
        else raw.close(opened, () => {}); // end() opened it meanwhile
        this.next();
      });
      return;
    }
    const text = this.queue.join('');
    this.queue = [];
    if (this.path === undefined) return this.send(fd, Buffer.from(text), 0);
    // Until the write starts, end() (at exit, when this callback never comes) writes them itself.
    this.held = text;
    const write = (to: number): void => {
      if (this.held !== text) return this.next(); // end() wrote them meanwhile
      this.held = undefined;
      this.send(to, Buffer.from(text), 0);
    };
    raw.fstat(fd, (error, stats) => {
      // fstat failing is for the write to tell.
      if (error !== null || stats.nlink > 0) return write(fd);
      raw.open(this.path as string, 'a', 0o600, (openError, reopened) => {
        if (openError !== null) return this.fail(deleted(openError));
        raw.close(fd, () => {});
        this.fd = reopened;
        write(reopened);
      });
    });
  }

  private send(fd: number, chunk: Buffer, offset: number): void {
    raw.write(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
      if (error) this.fail(error);
      else if (offset + written < chunk.length) this.send(fd, chunk, offset + written);
      else this.next();
    });
  }

  /** `writing`, and the module's set of busy writers (what a signal waits for), in one step. */
  private setBusy(busy: boolean): void {
    this.writing = busy;
    setWriting(this, busy);
  }

  private fail(error: Error): void {
    this.failed = true;
    this.setBusy(false);
    this.onError(error);
  }

  /**
   * Writes the queue synchronously (at exit, when no callback can run any more). A write still
   * in flight completes on its own, so its lines may land after these: order can differ, lines
   * are whole and none is lost or doubled.
   */
  flushSync(last = ''): void {
    if (this.held !== undefined) this.queue.unshift(this.held);
    this.held = undefined;
    if (last !== '') this.queue.push(last);
    if (this.failed || this.queue.length === 0) return;
    const chunk = Buffer.from(this.queue.join(''));
    this.queue = [];
    try {
      this.fd ??= raw.openSync(this.path as string, 'a', 0o600);
      if (this.path !== undefined && raw.fstatSync(this.fd).nlink === 0) {
        const gone = this.fd;
        try {
          this.fd = raw.openSync(this.path, 'a', 0o600);
        } catch (error) {
          throw deleted(error as Error);
        }
        raw.closeSync(gone);
      }
      let offset = 0;
      while (offset < chunk.length) offset += raw.writeSync(this.fd, chunk, offset, chunk.length - offset);
    } catch (error) {
      this.failed = true;
      this.onError(error as Error);
    }
  }

  end(last = ''): void {
    this.flushSync(last);
    if (!this.owned) return;
    const close = (): void => {
      const fd = this.fd;
      this.fd = undefined;
      if (fd === undefined) return;
      try {
        raw.closeSync(fd);
      } catch {
        // Already closed: nothing left to lose.
      }
    };
    // A write in flight still needs the descriptor: close once it is done.
    if (this.writing) this.onIdle = close;
    else close();
  }
}

function deleted(error: Error): Error {
  const code = (error as NodeJS.ErrnoException).code ?? error.message;
  return new Error(`the file was deleted and cannot be made again (${code}); the reports since are lost`);
}
