'use strict';
// A preload for bench:startup's reference point: a worker thread that does nothing, started at
// the first turn of the loop as loopguard's own is — what any watchdog in a thread of its own costs
// in memory, before the first line of its code.
const { Worker } = require('node:worker_threads');

setImmediate(() => {
  const worker = new Worker("require('node:worker_threads').parentPort.on('message', () => {});", { eval: true, execArgv: [] });
  worker.unref();
}).unref();
