import { handlerStorage } from '../context';
import { raw } from './raw-fs';

/** Where loopguard's sinks put their lines: written without blocking, the rest at exit. */
export interface LineWriter {
  write(text: string): void;
  /** At exit or uninstall: writes what is queued (and `last`) synchronously; closes a file it opened. */
  end(last?: string): void;
}

/**
 * Appends text to a file descriptor without blocking the event loop: writes go through libuv's
 * thread pool, one at a time, in order. Given a path, it opens the file (0600, appending) itself,
 * also without blocking, and closes it at `end()`; given a descriptor, it leaves it open.
 */
export class AsyncWriter implements LineWriter {
  private queue: string[] = [];
  private writing = false;
  private failed = false;
  private fd: number | undefined;
  private readonly path: string | undefined;
  private onIdle: (() => void) | undefined;

  constructor(
    target: number | string,
    private readonly onError: (error: Error) => void,
    /** Close the descriptor at `end()` (it was opened for this writer). */
    private readonly owned = typeof target === 'string',
  ) {
    if (typeof target === 'number') this.fd = target;
    else this.path = target;
  }

  write(text: string): void {
    if (this.failed) return;
    this.queue.push(text);
    if (this.writing) return;
    // Start on the next turn: lines of one turn go out in one write, and lines queued during
    // exit stay queued for end() instead of starting a write that would never finish.
    this.writing = true;
    handlerStorage.exit(() => setImmediate(() => this.next()));
  }

  private next(): void {
    if (this.queue.length === 0 || this.failed) {
      this.writing = false;
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
    const chunk = Buffer.from(this.queue.join(''));
    this.queue = [];
    this.send(fd, chunk, 0);
  }

  private send(fd: number, chunk: Buffer, offset: number): void {
    raw.write(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
      if (error) this.fail(error);
      else if (offset + written < chunk.length) this.send(fd, chunk, offset + written);
      else this.next();
    });
  }

  private fail(error: Error): void {
    this.failed = true;
    this.writing = false;
    this.onError(error);
  }

  /**
   * Writes the queue synchronously (at exit, when no callback can run any more). A write still
   * in flight completes on its own, so its lines may land after these: order can differ, lines
   * are whole and none is lost or doubled.
   */
  flushSync(last = ''): void {
    if (last !== '') this.queue.push(last);
    if (this.failed || this.queue.length === 0) return;
    const chunk = Buffer.from(this.queue.join(''));
    this.queue = [];
    try {
      this.fd ??= raw.openSync(this.path as string, 'a', 0o600);
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
