'use strict';
// The cost of loopguard on npm packages' APIs, against the raw functions in the same run.
//   npm run bench:packages   (builds first)
// Fast path: better-sqlite3's Statement#get outside any handler (goal: at most 1.03x the raw call).
// A quick.db call in a handler is one unit (an async context, a stack read at the call, one
// report): its cost over the same call outside a handler is printed in µs.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lg = require('loopguard');
lg.install({ env: false, console: false });
const Database = require('better-sqlite3');
const { QuickDB } = require('quick.db');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-'));
const db = new Database(path.join(dir, 'bench.sqlite'));
db.exec('CREATE TABLE xp (user TEXT PRIMARY KEY, points INTEGER)');
db.prepare("INSERT INTO xp VALUES ('1', 5)").run();
const statement = db.prepare("SELECT points FROM xp WHERE user = '1'");
const proto = Object.getPrototypeOf(statement);
const rawGet = proto.get[Symbol.for('loopguard.original')];
if (typeof rawGet !== 'function') throw new Error('Statement#get is not wrapped');

const rounds = Number(process.env.BENCH_ROUNDS ?? 25);
const batch = Number(process.env.BENCH_BATCH ?? 20000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn, n = batch) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

const raw = [];
const wrapped = [];
time(() => rawGet.call(statement));
time(() => statement.get());
for (let r = 0; r < rounds; r++) {
  if (Math.random() < 0.5) {
    raw.push(time(() => rawGet.call(statement)));
    wrapped.push(time(() => statement.get()));
  } else {
    wrapped.push(time(() => statement.get()));
    raw.push(time(() => rawGet.call(statement)));
  }
}

async function timeAsync(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n;
}

(async () => {
  const quick = new QuickDB({ filePath: path.join(dir, 'quick.sqlite') });
  await quick.set('xp', 1);
  const n = 2000;
  const outside = [];
  const inside = [];
  await timeAsync(() => quick.get('xp'), n);
  for (let r = 0; r < rounds; r++) {
    outside.push(await timeAsync(() => quick.get('xp'), n));
    inside.push(await lg.runInHandler({ source: 'bench', event: 'quick' }, () => timeAsync(() => quick.get('xp'), n)));
  }
  lg.flush();
  const fast = median(wrapped) / median(raw);
  console.log(`loopguard packages bench — Node ${process.version}, ${rounds} rounds, medians`);
  console.log(`  Statement#get outside handlers   raw ${median(raw).toFixed(0)} ns   wrapped ${median(wrapped).toFixed(0)} ns   ratio ${fast.toFixed(3)}x (goal <= 1.03x)`);
  console.log(`  quick.db get                     outside ${(median(outside) / 1000).toFixed(1)} µs   in a handler ${(median(inside) / 1000).toFixed(1)} µs   unit cost ${((median(inside) - median(outside)) / 1000).toFixed(1)} µs`);
  lg.uninstall();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
})();
