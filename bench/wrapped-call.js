'use strict';
// The cost of loopguard's wrappers, measured against the raw functions in the same run.
//   npm run bench            (builds first)
//   CALL_NODES="20 22 24 26" the Node majors to run on (default: this one); results in
//                            bench/results/calls-<major>.json (scripts/bench-docs.js reads them)
//   BENCH_ROUNDS (101: a run takes about half a minute a Node, and its ratios move by 0.02-0.03
//   from run to run at 25), BENCH_BATCH (20000)
// Fast path: a wrapped call outside any handler (goal: at most 1.03× the raw call).
// Repeated report: a wrapped call inside a handler at a site that is already known, sampled as by
// default (goal: at most 1.2× a bare context lookup plus the raw call), beside the same call with
// two clock reads around it (what timing a call costs at all) and with every call's stack read.
// Everything is measured as a bot runs it: in a callback of the event loop, after a handler has
// run (Node's async context is then on: a context lookup reads it, where before the first handler
// it returns at once), and the wrapped functions are called as the raw ones are, from an object
// of their own (not through `fs`, whose properties are a dictionary: each lookup would cost the
// wrapped side 50-100 ns that a bot pays with or without loopguard).
const { measuredPerNode } = require('./lib/common');
const { callGoals } = require('./lib/goals');

if (measuredPerNode('CALL_NODES', 'calls', __filename, [], print)) measure();

function print(r) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`loopguard bench — Node ${r.node}, ${r.rounds} interleaved rounds of ${r.batch} calls, medians`);
  console.log('\nFast path: wrapped call outside any handler vs the raw call (goal <= 1.03x)');
  for (const f of r.fastPath) {
    console.log(`  ${f.name.padEnd(28)} raw ${med(f.raw).toFixed(0).padStart(6)} ns   wrapped ${med(f.wrapped).toFixed(0).padStart(6)} ns   ratio ${(med(f.wrapped) / med(f.raw)).toFixed(3)}x`);
  }
  const h = r.inHandler;
  console.log('\nInside a handler, fs.existsSync of a missing path, ns per call:');
  console.log(`  raw call                          ${med(h.raw).toFixed(0).padStart(6)}`);
  console.log(`  + a bare context lookup           ${med(h.lookup).toFixed(0).padStart(6)}`);
  console.log(`  + lookup and two clock reads      ${med(h.clocks).toFixed(0).padStart(6)}   (timing a call at all)`);
  console.log(`  loopguard, hot site (sampled)     ${med(h.sampled).toFixed(0).padStart(6)}   counted ${h.counted} of ${h.calls} calls`);
  console.log(`  loopguard, every stack read       ${med(h.exact).toFixed(0).padStart(6)}   (LOOPGUARD_SAMPLE_ABOVE=off)`);
  console.log(`  same run: bare Error.captureStackTrace ${r.captureNs.toFixed(0)} ns, formatted new Error().stack ${r.formattedNs.toFixed(0)} ns`);
  console.log('');
  for (const g of callGoals(r)) console.log(`  ${g.sentence}`);
}

function measure() {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');

  const raw = { existsSync: fs.existsSync, statSync: fs.statSync, readFileSync: fs.readFileSync };
  const lg = require('loopguard');
  // No watchdog: the measuring loops hold the event loop for a minute, one long stall to it.
  lg.install({ env: false, console: false, stallMs: 'off' });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-'));
  const small = path.join(dir, 'small.json');
  raw.readFileSync.call(fs, __filename); // warm the page cache
  fs.writeFileSync(small, JSON.stringify({ guild: '1', prefix: '!', owners: ['2', '3'], text: 'x'.repeat(80) }));
  const missing = path.join(dir, 'missing');

  // As a bot is: a handler has run, and what follows runs in a callback of the loop.
  lg.runInHandler({ source: 'bench', event: 'first' }, () => {});
  setImmediate(() => measureCalls(lg, fs, raw, dir, small, missing));
}

function measureCalls(lg, fs, raw, dir, small, missing) {
  const { AsyncLocalStorage } = require('node:async_hooks');
  const wrapped = { existsSync: fs.existsSync, statSync: fs.statSync, readFileSync: fs.readFileSync };
  const rounds = Number(process.env.BENCH_ROUNDS ?? 101);
  const batch = Number(process.env.BENCH_BATCH ?? 20000);

  function time(fn, n = batch) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - start) / n;
  }
  /** Per variant, one median-able sample per round; the order within a round is shuffled. */
  function interleaved(variants, n = batch) {
    const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (const fn of Object.values(variants)) time(fn, n); // warm up
    for (let r = 0; r < rounds; r++) {
      const order = Object.keys(variants).sort(() => Math.random() - 0.5);
      for (const key of order) samples[key].push(time(variants[key], n));
    }
    return samples;
  }

  const fastPath = [
    ['existsSync (missing path)', () => raw.existsSync(missing), () => wrapped.existsSync(missing)],
    ['statSync', () => raw.statSync(small), () => wrapped.statSync(small)],
    ['readFileSync small utf8', () => raw.readFileSync(small, 'utf8'), () => wrapped.readFileSync(small, 'utf8')],
  ].map(([name, rawFn, wrappedFn]) => ({ name, ...interleaved({ raw: rawFn, wrapped: wrappedFn }) }));

  // Inside one handler: the raw call, the raw call after a bare context lookup (an ALS of its own,
  // entered as loopguard's is), the same with two clock reads around the call, and loopguard's
  // wrapped call at a known site, sampled (the default) and with every stack read.
  const als = new AsyncLocalStorage();
  const calls = { sampled: 0, exact: 0 };
  const sampled = () => { calls.sampled++; return wrapped.existsSync(missing); };
  const exactCall = () => { calls.exact++; return wrapped.existsSync(missing); };
  let inHandler;
  als.run({ event: 'bench' }, () => lg.runInHandler({ source: 'bench', event: 'repeat' }, () => {
    const variants = {
      raw: () => raw.existsSync(missing),
      lookup: () => (als.getStore(), raw.existsSync(missing)),
      clocks: () => {
        als.getStore();
        const start = performance.now();
        const result = raw.existsSync(missing);
        return performance.now() - start > 1e9 ? !result : result;
      },
      sampled,
    };
    inHandler = interleaved(variants, 5000);
  }));
  lg.configure({ sampleAbove: 'off' });
  const exact = lg.runInHandler({ source: 'bench', event: 'exact' }, () => interleaved({ exact: exactCall }, 5000).exact);
  lg.configure({ sampleAbove: 50 });
  lg.flush();

  function bare() { const o = {}; Error.captureStackTrace(o, bare); return o; }
  function formatted() { return new Error().stack; }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const captureNs = median(Array.from({ length: rounds }, () => time(bare)));
  const formattedNs = median(Array.from({ length: rounds }, () => time(formatted)));
  const site = lg.summary().sites.find((s) => s.report.handler?.event === 'repeat');
  lg.uninstall();
  fs.rmSync(dir, { recursive: true, force: true });

  const result = {
    rounds, batch, fastPath,
    inHandler: { ...inHandler, exact, counted: site?.count ?? 0, calls: calls.sampled },
    captureNs, formattedNs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
