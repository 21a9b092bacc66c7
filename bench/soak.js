'use strict';
// Memory under load: a million handled events spread over 10,000 distinct call sites (more than
// the 5,000-site table holds), every call exact (no sampling). Prints the heap as it goes: it
// must level off. Run: node --expose-gc bench/soak.js   (npm run bench:soak)
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const vm = require('node:vm');
const lg = require('loopguard');

const events = Number(process.env.SOAK_EVENTS ?? 1_000_000);
const siteCount = Number(process.env.SOAK_SITES ?? 10_000);
lg.install({ env: false, console: false, sampleAbove: 'off' });

// 10,000 functions, each calling existsSync from its own line.
const source = Array.from({ length: siteCount }, (_, i) => `(function site${i}(fs) { return fs.existsSync('/nonexistent-${i % 7}'); }),`).join('\n');
const sites = vm.runInThisContext(`[${source}]`, { filename: 'soak-sites.js' });

const bus = new EventEmitter();
lg.track(bus, { source: 'soak' });
let i = 0;
bus.on('message', () => sites[i % siteCount](fs));

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const heap = () => {
  global.gc?.();
  return process.memoryUsage().heapUsed;
};
const start = heap();
console.log(`soak — Node ${process.version}, ${events.toLocaleString()} events over ${siteCount.toLocaleString()} call sites${global.gc ? '' : ' (run with --expose-gc for exact heap numbers)'}`);
console.log(`  heap at start: ${mb(start)}`);
const t0 = performance.now();
for (; i < events; i++) {
  bus.emit('message');
  if ((i + 1) % (events / 4) === 0) {
    lg.flush();
    console.log(`  after ${(i + 1).toLocaleString().padStart(9)} events: heap ${mb(heap())}, listeners ${bus.listenerCount('message')}, sites tracked ${lg.summary().sites.length}`);
  }
}
const s = lg.summary();
console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s; ${s.calls.toLocaleString()} calls counted at ${s.sites.length} sites (the cap), ${s.overflowCalls.toLocaleString()} calls at sites past the cap counted without a report of their own`);
console.log(`  heap growth: ${mb(heap() - start)} for ${events.toLocaleString()} events`);
lg.uninstall();
