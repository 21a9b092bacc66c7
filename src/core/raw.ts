import * as fs from 'node:fs';

/*
 * Functions as they were before loopguard wrapped anything: loopguard's own I/O and waits go
 * through these so that they are never judged. This module is loaded before install() runs.
 */
export const raw = {
  openSync: fs.openSync,
  writeSync: fs.writeSync,
  closeSync: fs.closeSync,
  fstatSync: fs.fstatSync,
  ftruncateSync: fs.ftruncateSync,
  readSync: fs.readSync,
  atomicsWait: Atomics.wait,
};
