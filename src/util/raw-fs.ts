import * as fs from 'node:fs';

/*
 * fs functions as they were before loopguard wrapped anything: loopguard's own I/O goes through
 * these so that it is never judged. This module is loaded before install() runs.
 */
export const raw = {
  openSync: fs.openSync,
  writeSync: fs.writeSync,
  closeSync: fs.closeSync,
  fstatSync: fs.fstatSync,
  open: fs.open,
  write: fs.write,
  close: fs.close,
  fstat: fs.fstat,
};
