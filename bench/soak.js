'use strict';
// Memory under load: a million handled events spread over 10,000 distinct call sites (more than
// the 5,000-site table holds), every call exact (no sampling). Prints the heap as it goes: it
// must level off.
//   npm run bench:soak
//   SOAK_NODES="20 22 24 26"  the Node majors to run on (default: this one); results in
//                             bench/results/soak-<major>.json (scripts/bench-docs.js reads them)
//   SOAK_EVENTS (1000000), SOAK_SITES (10000)
const { measuredPerNode } = require('./lib/common');
const { soakGoals } = require('./lib/goals');

const show = (result) => {
  for (const g of soakGoals(result)) console.log(`  ${g.sentence}`);
};
if (measuredPerNode('SOAK_NODES', 'soak', __filename, ['--expose-gc'], show)) soak();

function soak() {
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

  const mb = (n) => n / 1024 / 1024;
  const heap = () => {
    global.gc();
    return process.memoryUsage().heapUsed;
  };
  const start = heap();
  const heapMb = [mb(start)];
  console.log(`soak — Node ${process.version}, ${events.toLocaleString()} events over ${siteCount.toLocaleString()} call sites`);
  console.log(`  heap at start: ${mb(start).toFixed(1)} MB`);
  const t0 = performance.now();
  for (; i < events; i++) {
    bus.emit('message');
    if ((i + 1) % (events / 4) === 0) {
      lg.flush();
      heapMb.push(mb(heap()));
      console.log(`  after ${(i + 1).toLocaleString().padStart(9)} events: heap ${heapMb.at(-1).toFixed(1)} MB, listeners ${bus.listenerCount('message')}, sites tracked ${lg.summary().sites.length}`);
    }
  }
  const s = lg.summary();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  ${seconds.toFixed(1)} s; ${s.calls.toLocaleString()} calls counted at ${s.sites.length} sites (the cap), ${s.overflowCalls.toLocaleString()} calls at sites past the cap counted without a report of their own`);
  lg.uninstall();
  process.stdout.write(`${JSON.stringify({ events, sites: siteCount, heapMb, seconds, calls: s.calls, sitesTracked: s.sites.length, overflowCalls: s.overflowCalls })}\n`);
}
