'use strict';
// How long after the stall threshold passes the watchdog reads the stuck main thread's stack:
// a process whose handler spins past the threshold STALL_ROUNDS times (each at a new site, so
// each is reported with its captureDelayMs). Goal: a few milliseconds.
//   npm run bench:stall
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const rounds = Number(process.env.STALL_ROUNDS ?? 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-stall-bench-'));
const app = path.join(dir, 'app.js');
const sites = Array.from({ length: rounds }, (_, i) => `  function spin${i}() { const end = Date.now() + 150; while (Date.now() < end); },`).join('\n');
fs.writeFileSync(app, `const { runInHandler } = require(${JSON.stringify(require.resolve('loopguard'))});
const sites = [\n${sites}\n];
let i = 0;
const next = () => { if (i < sites.length) runInHandler({ event: 'bench' }, sites[i++]); setTimeout(next, 20); };
setTimeout(next, 20);
setTimeout(() => process.exit(0), sites.length * 200 + 500);
`);
const reports = path.join(dir, 'reports.jsonl');
execFileSync(process.execPath, ['-r', require.resolve('loopguard/register'), app], {
  env: { ...process.env, LOOPGUARD_STALL_MS: '100', LOOPGUARD_CONSOLE: 'off', LOOPGUARD_REPORT_FILE: reports },
  stdio: 'inherit',
});
const delays = fs.readFileSync(reports, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  .filter((r) => r.type === 'stall' && !r.aggregate).map((r) => r.captureDelayMs).sort((a, b) => a - b);
fs.rmSync(dir, { recursive: true, force: true });
const at = (q) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
console.log(`stall capture delay — Node ${process.version}, ${delays.length} of ${rounds} stalls captured`);
console.log(`  median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${delays[delays.length - 1]} ms (goal: a few ms)`);
