import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { WriteLock } from './protocol';

/*
 * Appending whole lines to a report file or to stderr, synchronously, in loopguard's own thread
 * (or on the main thread when that thread cannot run). Whatever goes wrong, a line is written
 * whole or not at all, and lines that cannot be written now are kept and written once it works
 * again: a disk that fills up and frees, a file deleted under the bot (made again), a
 * descriptor closed by someone else, a pipe that is full for a moment.
 */

/** The fs functions used here (loopguard's own, never the wrapped ones). */
export type LineIo = Pick<typeof import('node:fs'), 'openSync' | 'writeSync' | 'closeSync' | 'fstatSync' | 'ftruncateSync' | 'readSync'>;

/** Node's own, for loopguard's thread; the main thread passes `raw` (wrapping happens there). */
const nodeIo: LineIo = { openSync, writeSync, closeSync, fstatSync, ftruncateSync, readSync };

const { O_RDWR, O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = constants;
/*
 * O_NOFOLLOW: a symlink planted at the path is refused. O_NONBLOCK: a FIFO never hangs the open.
 * Read access lets a line torn by a full disk be checked and cut off again (write-only if denied).
 */
const appendFlags = O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;

/** Why a report file cannot be used, as a code and the words for it. */
export class ReportFileError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Opens a report file for appending: made with mode 0600, never through a symlink, and only a
 * regular file (a FIFO, a device or a folder is refused). Returns the descriptor and, for a file
 * that others can write to, a warning.
 */
export function openReportFile(path: string, io: LineIo = nodeIo): { fd: number; warning?: string } {
  let fd: number;
  try {
    try {
      fd = io.openSync(path, O_RDWR | appendFlags, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
      fd = io.openSync(path, O_WRONLY | appendFlags, 0o600);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ELOOP') throw new ReportFileError(code, 'it is a symbolic link (not followed)');
    if (code === 'ENXIO') throw new ReportFileError(code, 'it is a FIFO (not a regular file)');
    if (code === 'EISDIR') throw new ReportFileError(code, 'it is a folder (not a regular file)');
    throw new ReportFileError(code, `cannot open it for writing (${code})`);
  }
  const stats = io.fstatSync(fd);
  if (!stats.isFile()) {
    io.closeSync(fd);
    const what = stats.isFIFO() ? 'a FIFO' : stats.isDirectory() ? 'a folder' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new ReportFileError('ENOTREG', `it is ${what} (not a regular file)`);
  }
  const writable = stats.mode & 0o022;
  return writable === 0 ? { fd } : { fd, warning: `others can write to it (mode ${(stats.mode & 0o777).toString(8)}): anyone who can write it can forge reports` };
}

/**
 * Whether `path` could be a report file, without making it (loopguard installed with mode off):
 * an existing regular file, or a new file in an existing folder.
 */
export function checkReportPath(path: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code !== 'ENOENT') throw new ReportFileError(code, `cannot use it (${code})`);
    let folder: Stats | undefined;
    try {
      folder = statSync(dirname(path));
    } catch {
      folder = undefined;
    }
    if (folder?.isDirectory() !== true) throw new ReportFileError('ENOENT', 'cannot open it for writing (ENOENT)');
    return;
  }
  if (stats.isSymbolicLink()) throw new ReportFileError('ELOOP', 'it is a symbolic link (not followed)');
  if (!stats.isFile()) throw new ReportFileError('ENOTREG', stats.isDirectory() ? 'it is a folder (not a regular file)' : 'it is not a regular file');
}

/** Lines kept while a file cannot be written, at most; later ones are dropped and counted. */
export const keptCap = 4 * 1024 * 1024;
/** How long a full pipe (stderr) is waited for, in all, before its lines are kept for later. */
const busyPipeMs = 2000;

const newline = Buffer.from('\n');
const pause = new Int32Array(new SharedArrayBuffer(4));

export interface LineFileOptions {
  /** A report file: its path (made again if deleted). Absent for stderr/stdout. */
  path?: string;
  /** Something failed (first failure of a kind) or works again: one line for the user. */
  onNews(text: string, failed: boolean): void;
  /** May this writer sleep while a pipe is full (loopguard's thread: yes; the main thread: no). */
  mayWait: boolean;
  /** Shared with the process' other writer of report files: while it writes, this one does not. */
  lock?: WriteLock;
  io?: LineIo;
}

/**
 * The LineFile of one destination: a report file by its path (opened on the first write unless
 * `fd` is given, made again if deleted, written under the process' write lock), or an fd (stderr,
 * stdout).
 */
export function lineFileTo(to: string | number, fd: number | undefined, options: Omit<LineFileOptions, 'path' | 'lock'>, lock: WriteLock): LineFile {
  return typeof to === 'number' ? new LineFile(fd ?? to, options) : new LineFile(fd, { ...options, lock, path: to });
}

export class LineFile {
  private fd: number | undefined;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private dropped = 0;
  /** The error code writing fails with now, if it does. */
  private failing: string | undefined;
  /** A reader that went away (EPIPE): its lines go nowhere, as in Node. */
  private gone = false;
  /** A line fragment could not be removed from the file's end: the next write starts a new line. */
  private torn = false;
  private readonly io: LineIo;

  constructor(fd: number | undefined, private readonly options: LineFileOptions) {
    this.fd = fd;
    this.io = options.io ?? nodeIo;
  }

  /** Lines waiting for the destination to work again. */
  get waiting(): boolean {
    return this.kept.length > 0 && !this.gone;
  }

  /** Appends whole lines; what cannot be written now is kept for `retry()`. */
  write(text: string): void {
    if (this.gone || text === '') return;
    const chunk = Buffer.from(text);
    if (this.keptBytes + chunk.length > keptCap) {
      this.dropped += countLines(chunk);
      return;
    }
    this.kept.push(chunk);
    this.keptBytes += chunk.length;
    // While it fails, only the owner's retry timer tries again (not every line: the kept lines
    // would be joined again each time).
    if (this.failing === undefined) this.retry();
  }

  /**
   * Writes `text` now, or what it can of it in whole lines: returns the rest, for another writer
   * (nothing is kept, nothing said). For the main thread while loopguard's thread starts.
   */
  tryWrite(text: string): string {
    if (this.gone || text === '') return '';
    const lock = this.options.lock;
    if (lock !== undefined && !lock.enter()) return text;
    const chunk = Buffer.from(text);
    try {
      this.send(this.ready(), chunk, 0);
      return '';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (this.options.path === undefined && (code === 'EPIPE' || code === 'EBADF')) {
        this.gone = true;
        return '';
      }
      if (code === 'EBADF') this.fd = undefined;
      const rest = this.untear(chunk, (error as { written?: number }).written ?? 0).toString();
      if (!this.torn) return rest;
      // A fragment stays in the file: the other writer's first line must start a line of its own.
      this.torn = false;
      return '\n' + rest;
    } finally {
      lock?.leave();
    }
  }

  /** Writes what is kept; true when nothing is left. */
  retry(): boolean {
    if (this.gone || this.kept.length === 0) return true;
    const lock = this.options.lock;
    if (lock !== undefined && !lock.enter()) return false;
    try {
      return this.writeKept();
    } finally {
      lock?.leave();
    }
  }

  private writeKept(): boolean {
    const chunk = this.kept.length === 1 ? this.kept[0] as Buffer : Buffer.concat(this.kept);
    this.kept.length = 0;
    this.keptBytes = 0;
    let written = 0;
    try {
      const fd = this.ready();
      if (this.torn) {
        this.send(fd, newline, 0);
        this.torn = false;
      }
      written = this.send(fd, chunk, 0);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (this.options.path === undefined && (code === 'EPIPE' || code === 'EBADF')) {
        this.gone = true;
        return true;
      }
      const rest = this.untear(chunk, (error as { written?: number }).written ?? written);
      this.kept.unshift(rest);
      this.keptBytes += rest.length;
      if (code === 'EBADF') this.fd = undefined; // open it again next time
      if (this.failing !== code) {
        this.failing = code;
        this.options.onNews(`writing ${this.name()} failed (${code}): its lines are kept and written when it works again`, true);
      }
      return false;
    }
    if (this.failing !== undefined) {
      this.options.onNews(worksAgainNews(this.name(), this.dropped), false);
      this.failing = undefined;
      this.dropped = 0;
    }
    return true;
  }

  /**
   * Writes what is kept, a last time, and closes a file this writer opened (a descriptor it was
   * given for stderr stays open). Lines that still cannot be written are said, with their number.
   */
  close(): void {
    if (!this.retry() || this.dropped > 0) {
      const lines = this.kept.reduce((n, chunk) => n + countLines(chunk), 0) + this.dropped;
      this.options.onNews(notWrittenNews(this.name(), this.failing ?? 'busy', lines), true);
      this.kept.length = 0;
      this.keptBytes = 0;
      this.dropped = 0;
    }
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined || this.options.path === undefined) return;
    try {
      this.io.closeSync(fd);
    } catch {
      // already closed: nothing left to lose
    }
  }

  private name(): string {
    return destinationName(this.options.path ?? this.fd);
  }

  /** The descriptor to write to: the file opened again if it was deleted or its descriptor lost. */
  private ready(): number {
    const path = this.options.path;
    if (this.fd !== undefined && (path === undefined || this.io.fstatSync(this.fd).nlink > 0)) return this.fd;
    if (path === undefined) throw Object.assign(new Error('no descriptor'), { code: 'EBADF' });
    // Deleted (rm, log rotation without "create"), or not open: made again by its path.
    const reopened = openReportFile(path, this.io).fd;
    const old = this.fd;
    this.fd = reopened;
    if (old !== undefined) {
      try {
        this.io.closeSync(old);
      } catch {
        // the old descriptor was closed by someone else
      }
    }
    return reopened;
  }

  /** Writes all of `chunk` from `offset`; on failure the error carries how much was written. */
  private send(fd: number, chunk: Buffer, offset: number): number {
    let waited = 0;
    while (offset < chunk.length) {
      try {
        offset += this.io.writeSync(fd, chunk, offset, chunk.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && this.options.mayWait && waited < busyPipeMs) {
          Atomics.wait(pause, 0, 0, 2);
          waited += 2;
          continue;
        }
        throw Object.assign(error as Error, { written: offset });
      }
    }
    return offset;
  }

  /**
   * A write that failed part way left whole lines and maybe the start of one in the file: the
   * whole lines stay, the fragment is cut off again (when the file still ends with it), and the
   * rest is returned to be written later.
   */
  private untear(chunk: Buffer, written: number): Buffer {
    if (written <= 0) return chunk;
    const whole = chunk.lastIndexOf(10, written - 1) + 1;
    const fragment = written - whole;
    if (fragment > 0) {
      if (this.options.path === undefined || !this.cutEnd(chunk.subarray(whole, written))) this.torn = true;
    }
    return chunk.subarray(whole);
  }

  /** Removes `tail` from the end of the file if the file ends with it (nobody appended since). */
  private cutEnd(tail: Buffer): boolean {
    const fd = this.fd;
    if (fd === undefined) return false;
    try {
      const size = this.io.fstatSync(fd).size;
      if (size < tail.length) return false;
      const end = Buffer.alloc(tail.length);
      if (this.io.readSync(fd, end, 0, tail.length, size - tail.length) !== tail.length || !end.equals(tail)) return false;
      this.io.ftruncateSync(fd, size - tail.length);
      return true;
    } catch {
      return false;
    }
  }
}

/** A destination as loopguard's warnings name it: a report file's path, stderr or a descriptor. */
export function destinationName(to: string | number | undefined): string {
  return typeof to === 'string' ? to : to === 2 ? 'stderr' : `fd ${String(to)}`;
}

const linesWere = (n: number): string => `${n} line${n === 1 ? ' was' : 's were'}`;

/** Said once a destination that failed takes lines again. */
export function worksAgainNews(name: string, dropped: number): string {
  const lost = dropped === 0 ? 'no line was lost' : `${linesWere(dropped)} dropped meanwhile (more than ${keptCap / 1024 / 1024} MB waited)`;
  return `writing ${name} works again; ${lost}`;
}

/** Said when a destination is closed with lines it never took. */
export function notWrittenNews(name: string, failing: string, lines: number): string {
  return `writing ${name} still fails (${failing}) as loopguard closes it: ${linesWere(lines)} not written`;
}

export function countLines(chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) n++;
  return n;
}
