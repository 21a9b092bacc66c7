'use strict';
// The whole set behind the README's performance section, on each Node the test matrix runs:
// the flood (and its focused run of the variants of the goals within a few %),
// per call, start-up, soak, profile and emit benches one after another (never two at once: they would
// measure each other), then bench:docs. About 80 minutes on this project's machine.
//   npm run bench:all
//   BENCH_NODES ("20 22 24 26"): the majors, for every bench (a bench's own FLOOD_NODES etc. wins)
//   LOOPGUARD_BEFORE=<a built checkout of an earlier loopguard>: the profile's "before"
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const nodes = process.env.BENCH_NODES ?? '20 22 24 26';
const benches = [
  ['discord-flood.js', 'FLOOD_NODES'],
  ['discord-flood.js', 'FLOOD_NODES', { FLOOD_FOCUS: '1' }],
  ['wrapped-call.js', 'CALL_NODES'],
  ['startup.js', 'STARTUP_NODES'],
  ['soak.js', 'SOAK_NODES'],
  ['profile.js', 'PROFILE_NODES'],
  ['discord-emit.js', 'EMIT_NODES'],
];

for (const [file, variable, env = {}] of benches) {
  console.log(`\n=== ${file} (${variable}="${process.env[variable] ?? nodes}"${Object.entries(env).map(([k, v]) => ` ${k}=${v}`).join('')})`);
  const run = spawnSync(process.execPath, [path.join(__dirname, file)], {
    stdio: 'inherit', env: { ...process.env, ...env, [variable]: process.env[variable] ?? nodes },
  });
  if (run.status !== 0) {
    console.error(`bench:all: ${file} ended with ${run.signal ?? `status ${run.status}`}; the benches before it wrote their results`);
    process.exit(1);
  }
}
const docs = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bench-docs.js')], { stdio: 'inherit' });
process.exit(docs.status ?? 1);
