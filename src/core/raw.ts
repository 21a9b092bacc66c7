import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/*
 * Functions as they were before loopguard wrapped anything: loopguard's own I/O and waits go
 * through these so that they are never judged. This module is loaded before install() runs.
 * (Named imports, here as elsewhere: for a namespace or default import of a builtin, the bundle
 * copies the module's every property at load.)
 */
export const raw = { openSync, writeSync, closeSync, fstatSync, ftruncateSync, readSync, atomicsWait: Atomics.wait };
