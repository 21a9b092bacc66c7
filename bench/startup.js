'use strict';
// Start-up time and memory: `node -r loopguard/register -e 0` against `node -e 0`,
// `node --import loopguard/register` against plain `node` on an empty ES module (in a folder of
// its own, and beside the packages whose ES module builds loopguard hooks) (time from the
// process' start to its exit event, as the process reads it; peak RSS), and a discord.js bot
// against the emulator with and without loopguard, in a folder of its own as most bots are (none
// of the packages whose ES module builds loopguard hooks there) (time from its start to READY, as it reads it;
// RSS once it has been idle STARTUP_IDLE_MS after READY; then more rounds that only read READY, to
// narrow its median: its rounds spread by tens of ms). The times from spawn, which also count
// fork, exec and teardown, are kept beside them (wallMs, readyWallMs). Interleaved
// rounds; the goals (≤ 20 ms added start-up, ≤ 10 MB added idle RSS) are judged on differences
// paired within a round. loopguard's code cache is made before the rounds, in a folder of the
// benchmark's own; a variant without it is a first start. Results: bench/results/startup-<major>.json (scripts/bench-docs.js).
//   npm run bench:startup
//   STARTUP_NODES="20 22 24 26" (default: this Node), STARTUP_ROUNDS (20), STARTUP_BOT_ROUNDS (15),
//   STARTUP_IDLE_MS (3000), STARTUP_READY_ROUNDS (45: bots that exit at READY, after the others)
//   STARTUP_BEFORE=<folder>: another built checkout of loopguard (a worktree of an earlier commit,
//   `npm run build` there): its `-e 0`, `--import` and bot variants run in the same rounds, each
//   preloaded as this build's is (`-r loopguard/register` resolved from that folder), and the
//   differences from it are printed (an A/B of two builds on one machine at one time).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { botFolder, exited, forEachNode, machine, root, shuffled, startEmulator, summary, useCodeCache, waitLine, warmCodeCache, writeResults } = require('./lib/common');
const { difference, startupGoals } = require('./lib/goals');

const rounds = Number(process.env.STARTUP_ROUNDS ?? 20);
const botRounds = Number(process.env.STARTUP_BOT_ROUNDS ?? 15);
const idleMs = Number(process.env.STARTUP_IDLE_MS ?? 3000);
const readyRounds = Number(process.env.STARTUP_READY_ROUNDS ?? 45);
const empty = path.relative(root, path.join(__dirname, 'startup', 'empty.mjs'));
const bot = path.relative(root, path.join(__dirname, 'startup', 'bot.js'));
const bareWorker = `./${path.relative(root, path.join(__dirname, 'startup', 'bare-worker.js'))}`;
// GNU time reports the peak RSS of the process it waits for; without it, no peak RSS.
const gnuTime = ['/usr/bin/time'].find((p) => fs.existsSync(p));

// An ES module app in a folder of its own, outside this package: none of the packages whose ES
// module builds loopguard hooks (@discordjs/core, bcryptjs, enmap, @sapphire/framework) is
// installed there, as in most bots. Here, beside this package's devDependencies, they are: the
// in-thread module hooks are registered (or, on a Node without them, a warning says so).
const esmApp = path.join(os.tmpdir(), `loopguard-startup-esm-${process.pid}`);
fs.mkdirSync(esmApp, { recursive: true });
fs.writeFileSync(path.join(esmApp, 'empty.mjs'), fs.readFileSync(path.join(__dirname, 'startup', 'empty.mjs')));
process.on('exit', () => fs.rmSync(esmApp, { recursive: true, force: true }));
const register = path.join(root, 'dist', 'register.js');
// Each process prints the time from its start to its exit event (last of the preloads, so that its
// listener runs after loopguard's).
const exitTime = path.join(__dirname, 'startup', 'exit-time.js');
const cjsTimed = ['-r', exitTime];
const esmTimed = ['--import', exitTime];

useCodeCache('startup');
const processVariants = [
  { key: 'cjs', name: 'node -e 0', args: [...cjsTimed, '-e', '0'] },
  { key: 'cjs-loopguard', name: 'node -r loopguard/register -e 0', args: ['-r', 'loopguard/register', ...cjsTimed, '-e', '0'], baseline: 'cjs' },
  { key: 'cjs-loopguard-first', name: 'node -r loopguard/register -e 0, a first start (LOOPGUARD_CODE_CACHE=off)', args: ['-r', 'loopguard/register', ...cjsTimed, '-e', '0'], env: { LOOPGUARD_CODE_CACHE: 'off' }, baseline: 'cjs' },
  { key: 'esm', name: 'node empty.mjs', args: [...esmTimed, 'empty.mjs'], cwd: esmApp },
  { key: 'esm-loopguard', name: 'node --import loopguard/register empty.mjs', args: ['--import', register, ...esmTimed, 'empty.mjs'], cwd: esmApp, baseline: 'esm' },
  { key: 'esm-hooked', name: 'node empty.mjs, beside the hooked ESM packages', args: [...esmTimed, empty] },
  { key: 'esm-hooked-loopguard', name: 'node --import loopguard/register empty.mjs, beside the hooked ESM packages', args: ['--import', 'loopguard/register', ...esmTimed, empty], baseline: 'esm-hooked' },
];
// Node's compile cache (NODE_COMPILE_CACHE, Node 22.1+), which an app may turn on for itself: it
// keeps V8's compiled code of every module, loopguard's bundle among them, between runs (filled by
// the uncounted first run of each variant). Both sides have it; on Node 20 these are left out.
const compileCache = path.join(os.tmpdir(), `loopguard-startup-cache-${process.pid}`);
process.on('exit', () => fs.rmSync(compileCache, { recursive: true, force: true }));
const cached = { NODE_COMPILE_CACHE: compileCache };
processVariants.push(
  { key: 'cjs-cached', name: 'node -e 0, compile cache on', args: [...cjsTimed, '-e', '0'], env: cached, since: 22 },
  { key: 'cjs-cached-loopguard', name: 'node -r loopguard/register -e 0, compile cache on', args: ['-r', 'loopguard/register', ...cjsTimed, '-e', '0'], env: cached, since: 22, baseline: 'cjs-cached' },
);

// The bots run in a folder of their own, as most bots do: none of the hooked ES module packages there.
const botDir = botFolder();
const botFile = path.join(root, bot);
const botVariants = [
  { key: 'bot', name: 'discord.js bot', args: [botFile], cwd: botDir },
  { key: 'bot-loopguard', name: 'discord.js bot, -r loopguard/register', args: ['-r', 'loopguard/register', botFile], cwd: botDir, baseline: 'bot' },
  // What a thread of its own costs any tool: an empty worker thread, started as loopguard's is.
  { key: 'bot-worker', name: 'discord.js bot, a bare worker thread', args: ['-r', path.join(root, bareWorker), botFile], cwd: botDir, baseline: 'bot' },
];

/** Another build's variants, the same as this one's but for the build (STARTUP_BEFORE), and what each is compared with. */
const before = process.env.STARTUP_BEFORE ? path.resolve(process.env.STARTUP_BEFORE) : undefined;
const comparedWithBefore = [['cjs-loopguard', 'cjs-before', 'ms', 'ms to its exit event'], ['esm-loopguard', 'esm-before', 'ms', 'ms to its exit event'], ['bot-loopguard', 'bot-before', 'readyMs', 'ms to READY'], ['bot-loopguard', 'bot-before', 'idleRss', 'MB idle RSS']];
if (before !== undefined) {
  if (!fs.existsSync(path.join(before, 'dist', 'register.js'))) throw new Error(`STARTUP_BEFORE: no dist/register.js in ${before} (npm run build there)`);
  let label = `the build in ${before}`;
  try {
    label = `the build of ${require('node:child_process').execFileSync('git', ['-C', before, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()}`;
  } catch {
    // not a git checkout: named by its folder
  }
  processVariants.push(
    { key: 'cjs-before', name: `node -r loopguard/register -e 0, ${label}`, args: ['-r', 'loopguard/register', ...cjsTimed, '-e', '0'], cwd: before, baseline: 'cjs' },
    { key: 'esm-before', name: `node --import loopguard/register empty.mjs, ${label}`, args: ['--import', path.join(before, 'dist', 'register.js'), ...esmTimed, 'empty.mjs'], cwd: esmApp, baseline: 'esm' },
  );
  botVariants.push({ key: 'bot-before', name: `discord.js bot, -r loopguard/register, ${label}`, args: ['-r', 'loopguard/register', botFile], cwd: botFolder(before), baseline: 'bot' });
}

/**
 * Runs `node args` to its exit from `cwd` (the package root): { ms (from its start to its exit
 * event, as it says), wallMs (from spawn to exit), maxRss (bytes) }.
 */
async function runProcess(node, args, cwd = root, env = {}) {
  const rssFile = path.join(os.tmpdir(), `loopguard-startup-${process.pid}.rss`);
  const [cmd, argv] = gnuTime ? [gnuTime, ['-f', '%M', '-o', rssFile, node.bin, ...args]] : [node.bin, args];
  const start = process.hrtime.bigint();
  const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const said = /^exit after ([\d.]+) ms$/m.exec(stderr);
  if (code !== 0 || said === null) throw new Error(`node ${args.join(' ')} on Node ${node.major} exited ${code}: ${stderr}`);
  const maxRss = gnuTime ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) * 1024 : undefined;
  return { ms: Number(said[1]), wallMs, maxRss };
}

/** Starts the bot: { readyMs (from its start, as it says), readyWallMs (from spawn), idleRss, idleHeap }. */
async function runBot(node, port, args, cwd = root, idle = idleMs) {
  const start = process.hrtime.bigint();
  const child = spawn(node.bin, args, {
    cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISCORD_API: `http://127.0.0.1:${port}/api`, STARTUP_IDLE_MS: String(idle) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  try {
    const idle = waitLine(child, /^idle (.*)$/, 'idle');
    idle.catch(() => {}); // awaited below, unless READY never comes
    const [, said] = await waitLine(child, /^ready after ([\d.]+) ms$/, 'ready');
    const readyWallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const [, json] = await idle;
    const { rss, heapUsed } = JSON.parse(json);
    return { readyMs: Number(said), readyWallMs, idleRss: rss, idleHeap: heapUsed };
  } catch (error) {
    throw new Error(`${args.join(' ')} on Node ${node.major}: ${error.message}\n${stderr}`);
  } finally {
    child.kill();
    await exited(child);
  }
}

async function startupOn(node) {
  const startedAt = new Date().toISOString();
  const host = machine();
  const processes = processVariants.filter((v) => (v.since ?? 0) <= node.major);
  const samples = Object.fromEntries([...processes, ...botVariants].map((v) => [v.key, {}]));
  const push = (key, values, r) => {
    for (const [metric, value] of Object.entries(values)) (samples[key][metric] ??= [])[r] = value;
  };
  console.log(`\nstart-up — Node ${node.version}: ${rounds} interleaved rounds of ${processes.length} processes, ${botRounds} of ${botVariants.length} bots (idle ${idleMs} ms after READY), then ${readyRounds} to READY only`);
  // A first run of each, not counted: the files are in the page cache for every measured run.
  for (const build of [root, ...(before === undefined ? [] : [before])]) warmCodeCache(node, build);
  for (const v of processes) await runProcess(node, v.args, v.cwd, v.env);
  for (let r = 0; r < rounds; r++) {
    for (const v of shuffled(processes)) push(v.key, await runProcess(node, v.args, v.cwd, v.env), r);
  }
  const emulator = await startEmulator(undefined);
  try {
    for (let r = 0; r < botRounds; r++) {
      for (const v of shuffled(botVariants)) {
        const out = await runBot(node, emulator.port, v.args, v.cwd);
        push(v.key, out, r);
        console.log(`  round ${r + 1}: ${v.name.padEnd(40)} READY after ${out.readyMs.toFixed(0)} ms, idle RSS ${(out.idleRss / 2 ** 20).toFixed(1)} MB`);
      }
    }
    // READY alone (the bot exits at once): its rounds follow the others', paired the same way.
    for (let r = botRounds; r < botRounds + readyRounds; r++) {
      for (const v of shuffled(botVariants)) {
        const { readyMs, readyWallMs } = await runBot(node, emulator.port, v.args, v.cwd, 0);
        push(v.key, { readyMs, readyWallMs }, r);
      }
      if ((r - botRounds + 1) % 15 === 0) console.log(`  ${r - botRounds + 1} of ${readyRounds} rounds to READY only`);
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  const result = {
    bench: 'startup', node: node.version, major: node.major, date: startedAt, machine: host, rounds, botRounds, readyRounds, idleMs,
    variants: [...processes, ...botVariants].map((v) => ({ key: v.key, name: v.name, baseline: v.baseline, args: v.args, ...(v.env === undefined ? {} : { env: v.env === cached ? { NODE_COMPILE_CACHE: '<a folder of its own>' } : v.env }), ...samples[v.key] })),
  };
  const file = writeResults(`startup-${node.major}.json`, result);
  print(result);
  console.log(`results: ${file}`);
}

function print(result) {
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  console.log(`\nNode ${result.node}: medians (min–max)`);
  for (const v of result.variants) {
    const parts = [];
    const s = (xs, f) => { const m = summary(xs); return `${f(m.median)} (${f(m.min)}–${f(m.max)})`; };
    if (v.ms) parts.push(`${s(v.ms, (x) => x.toFixed(1))} ms to its exit event (from spawn to exit ${s(v.wallMs, (x) => x.toFixed(0))})`);
    if (v.maxRss?.every(Number.isFinite)) parts.push(`peak RSS ${s(v.maxRss, mb)} MB`);
    if (v.readyMs) parts.push(`${s(v.readyMs, (x) => x.toFixed(0))} ms to READY (from spawn ${s(v.readyWallMs, (x) => x.toFixed(0))})`);
    if (v.idleRss) parts.push(`idle RSS ${s(v.idleRss, mb)} MB, heap ${s(v.idleHeap, mb)} MB`);
    console.log(`  ${v.name.padEnd(44)} ${parts.join(', ')}`);
  }
  console.log('');
  for (const g of startupGoals(result)) console.log(`  ${g.sentence}`);
  if (!result.variants.some((v) => v.key.endsWith('-before'))) return;
  console.log('\n  This build against the build before (paired within a round, medians and spread):');
  for (const [key, other, metric, unit] of comparedWithBefore) {
    const d = difference(result, key, other, metric, metric === 'idleRss' ? 1 / 2 ** 20 : 1);
    if (d) console.log(`    ${key.padEnd(14)} ${d.median >= 0 ? '+' : ''}${d.median.toFixed(1)} ${unit} (${d.min.toFixed(1)} to ${d.max.toFixed(1)}, n=${d.n})`);
  }
}

forEachNode('STARTUP_NODES', startupOn);
