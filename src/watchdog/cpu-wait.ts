import { raw } from '../core/raw';

/*
 * Time the OS kept the main thread waiting for a CPU (Linux: its schedstat's second field, ns): a
 * host busy with other work is not the app's stall. Read at each heartbeat. The file stays open and
 * is read again from its start into the same buffer: opening it at every beat (a path walk in
 * procfs and three system calls) was most of an idle bot's heartbeat, about 0.2 ms a beat here.
 */
export class CpuWait {
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(96);
  private unreadable = process.platform !== 'linux';

  constructor(private readonly file = `/proc/${process.pid}/task/${process.pid}/schedstat`) {}

  /** The wait so far, ms; undefined where it cannot be read (then never tried again). */
  read(): number | undefined {
    if (this.unreadable) return undefined;
    try {
      this.fd ??= raw.openSync(this.file, 'r');
      const ns = secondNumber(this.buffer, raw.readSync(this.fd, this.buffer, 0, this.buffer.length, 0));
      if (ns !== undefined) return ns / 1e6;
    } catch {
      // No procfs (a sandbox), or the file went away: nothing is read from now on.
    }
    this.unreadable = true;
    this.close();
    return undefined;
  }

  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      raw.closeSync(fd);
    } catch {
      // Closed already: nothing to give back.
    }
  }
}

/** The second of the space-separated decimal numbers in `bytes[0, length)`, read without making a string. */
export function secondNumber(bytes: Uint8Array, length: number): number | undefined {
  let i = bytes.indexOf(0x20);
  if (i < 0 || i >= length) return undefined;
  let value = 0;
  const start = ++i;
  for (; i < length; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return i === start ? undefined : value;
}
