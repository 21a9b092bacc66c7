'use strict';
// The cost of loopguard's wrappers, measured against the raw functions in the same run.
//   npm run bench            (builds first)
// Fast path: a wrapped call outside any handler (goal: at most 1.03x the raw call).
// Repeated report: a wrapped call inside a handler at a site that is already known (goal: a few µs).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const raw = { existsSync: fs.existsSync, statSync: fs.statSync, readFileSync: fs.readFileSync };
const lg = require('loopguard');
lg.install({ env: false, console: false });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-'));
const small = path.join(dir, 'small.json');
raw.readFileSync.call(fs, __filename); // warm the page cache
fs.writeFileSync(small, JSON.stringify({ guild: '1', prefix: '!', owners: ['2', '3'], text: 'x'.repeat(80) }));
const missing = path.join(dir, 'missing');

const rounds = Number(process.env.BENCH_ROUNDS ?? 25);
const batch = Number(process.env.BENCH_BATCH ?? 20000);

function time(fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) fn();
  return Number(process.hrtime.bigint() - start) / batch;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(name, variants) {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) time(fn); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(variants).sort(() => Math.random() - 0.5);
    for (const key of order) samples[key].push(time(variants[key]));
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  return { name, ...m };
}

const results = [
  compare('existsSync (missing path)', { raw: () => raw.existsSync(missing), wrapped: () => fs.existsSync(missing) }),
  compare('statSync', { raw: () => raw.statSync(small), wrapped: () => fs.statSync(small) }),
  compare('readFileSync small utf8', { raw: () => raw.readFileSync(small, 'utf8'), wrapped: () => fs.readFileSync(small, 'utf8') }),
];

console.log(`loopguard bench — Node ${process.version}, ${rounds} interleaved rounds of ${batch} calls, medians`);
console.log('\nFast path: wrapped call outside any handler vs the raw call (goal <= 1.03x)');
for (const r of results) {
  console.log(`  ${r.name.padEnd(28)} raw ${r.raw.toFixed(0).padStart(6)} ns   wrapped ${r.wrapped.toFixed(0).padStart(6)} ns   ratio ${(r.wrapped / r.raw).toFixed(3)}x`);
}

// A report at a known site: a shallow stack read and a table lookup, no formatting, no I/O —
// every call (sampleAbove: off), and with the default sampling of hot sites.
const reportBatch = 5000;
function repeated(event) {
  const inHandler = { existsSync: [], raw: [] };
  lg.runInHandler({ source: 'bench', event }, () => {
    for (let r = 0; r < rounds; r++) {
      let start = process.hrtime.bigint();
      for (let i = 0; i < reportBatch; i++) fs.existsSync(missing);
      inHandler.existsSync.push(Number(process.hrtime.bigint() - start) / reportBatch);
      start = process.hrtime.bigint();
      for (let i = 0; i < reportBatch; i++) raw.existsSync(missing);
      inHandler.raw.push(Number(process.hrtime.bigint() - start) / reportBatch);
    }
  });
  return inHandler;
}
lg.configure({ sampleAbove: 'off' });
const exact = repeated('exact');
lg.configure({ sampleAbove: 50 });
const inHandler = repeated('repeat');
lg.flush();
const exactUs = (median(exact.existsSync) - median(exact.raw)) / 1000;
const perReport = (median(inHandler.existsSync) - median(inHandler.raw)) / 1000;
// Baselines from the same run: a bare V8 stack capture (no formatting), and a formatted stack.
function bare() { const o = {}; Error.captureStackTrace(o, bare); return o; }
function formatted() { return new Error().stack; }
const captureUs = median(Array.from({ length: rounds }, () => time(bare))) / 1000;
const formattedUs = median(Array.from({ length: rounds }, () => time(formatted))) / 1000;
const site = lg.summary().sites.find((s) => s.report.handler?.event === 'repeat');
console.log('\nRepeated report at a known site (inside a handler), existsSync, extra cost per call (goal: a few µs)');
console.log(`  every call reads the stack (sampleAbove: off): ${exactUs.toFixed(2)} µs = ${(exactUs / captureUs).toFixed(1)}x a bare stack capture, ${(exactUs / formattedUs).toFixed(2)}x a formatted stack`);
console.log(`  hot site, sampled (default):                  ${perReport.toFixed(2)} µs; counted ${site?.count ?? 0} of ${rounds * reportBatch} calls`);
console.log(`  same run: bare Error.captureStackTrace ${captureUs.toFixed(2)} µs, formatted new Error().stack ${formattedUs.toFixed(2)} µs`);
lg.uninstall();
fs.rmSync(dir, { recursive: true, force: true });
