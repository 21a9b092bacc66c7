import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/*
 * Functions as they were before loopguard wrapped anything: loopguard's own I/O and waits go
 * through these so that they are never judged. This module is loaded before install() runs.
 * (Named imports: a bundle copies a namespace import's every property, 1 ms of start-up for the
 * builtins loopguard imports.)
 */
export const raw = { openSync, writeSync, closeSync, fstatSync, ftruncateSync, readSync, atomicsWait: Atomics.wait };
