import { handlerStorage } from '../context';
import { raw } from './raw-fs';

/**
 * Appends text to a file descriptor without blocking the event loop: writes go through libuv's
 * thread pool, one at a time, in order. `flushSync()` (for exit) writes what is still queued.
 */
export class AsyncWriter {
  private queue: string[] = [];
  private writing = false;
  private failed = false;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly fd: number,
    private readonly onError: (error: Error) => void,
  ) {}

  write(text: string): void {
    if (this.failed) return;
    this.queue.push(text);
    if (this.writing) return;
    // Start on the next turn: lines of one turn go out in one write, and lines queued during
    // exit stay queued for flushSync() instead of starting a write that would never finish.
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
    const chunk = Buffer.from(this.queue.join(''));
    this.queue = [];
    this.send(chunk, 0);
  }

  private send(chunk: Buffer, offset: number): void {
    raw.write(this.fd, chunk, offset, chunk.length - offset, null, (error, written) => {
      if (error) {
        this.failed = true;
        this.writing = false;
        this.onError(error);
      } else if (offset + written < chunk.length) {
        this.send(chunk, offset + written);
      } else {
        this.next();
      }
    });
  }

  /** Runs `fn` once nothing is being written (now, or when the write in flight is done). */
  whenIdle(fn: () => void): void {
    if (this.writing) this.onIdle = fn;
    else fn();
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
      let offset = 0;
      while (offset < chunk.length) offset += raw.writeSync(this.fd, chunk, offset, chunk.length - offset);
    } catch (error) {
      this.failed = true;
      this.onError(error as Error);
    }
  }
}
