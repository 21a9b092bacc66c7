'use strict';
// Start-up time and memory: `node -r loopguard/register -e 0` against `node -e 0`,
// `node --import loopguard/register` against plain `node` on an empty ES module (wall time from
// spawn to exit, peak RSS), and a discord.js bot against the emulator with and without loopguard
// (time from spawn to READY; RSS once it has been idle STARTUP_IDLE_MS after READY). Interleaved
// rounds; the goals (≤ 20 ms added start-up, ≤ 10 MB added idle RSS) are judged on differences
// paired within a round. Results: .tmp/bench/startup-<major>.json (scripts/bench-docs.js).
//   npm run bench:startup
//   STARTUP_NODES="20 22 24 26" (default: this Node), STARTUP_ROUNDS (20), STARTUP_BOT_ROUNDS (7),
//   STARTUP_IDLE_MS (3000)
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { exited, forEachNode, machine, root, shuffled, startEmulator, summary, waitLine, writeResults } = require('./lib/common');
const { startupGoals } = require('./lib/goals');

const rounds = Number(process.env.STARTUP_ROUNDS ?? 20);
const botRounds = Number(process.env.STARTUP_BOT_ROUNDS ?? 7);
const idleMs = Number(process.env.STARTUP_IDLE_MS ?? 3000);
const empty = path.relative(root, path.join(__dirname, 'startup', 'empty.mjs'));
const bot = path.relative(root, path.join(__dirname, 'startup', 'bot.js'));
const bareWorker = `./${path.relative(root, path.join(__dirname, 'startup', 'bare-worker.js'))}`;
// GNU time reports the peak RSS of the process it waits for; without it, no peak RSS.
const gnuTime = ['/usr/bin/time'].find((p) => fs.existsSync(p));

const processVariants = [
  { key: 'cjs', name: 'node -e 0', args: ['-e', '0'] },
  { key: 'cjs-loopguard', name: 'node -r loopguard/register -e 0', args: ['-r', 'loopguard/register', '-e', '0'], baseline: 'cjs' },
  { key: 'esm', name: 'node empty.mjs', args: [empty] },
  { key: 'esm-loopguard', name: 'node --import loopguard/register empty.mjs', args: ['--import', 'loopguard/register', empty], baseline: 'esm' },
];
const botVariants = [
  { key: 'bot', name: 'discord.js bot', args: [bot] },
  { key: 'bot-loopguard', name: 'discord.js bot, -r loopguard/register', args: ['-r', 'loopguard/register', bot], baseline: 'bot' },
  // What a thread of its own costs any tool: an empty worker thread, started as loopguard's is.
  { key: 'bot-worker', name: 'discord.js bot, a bare worker thread', args: ['-r', bareWorker, bot], baseline: 'bot' },
];

/** Runs `node args` to its exit from the package root: { ms, maxRss (bytes) }. */
async function runProcess(node, args) {
  const rssFile = path.join(os.tmpdir(), `loopguard-startup-${process.pid}.rss`);
  const [cmd, argv] = gnuTime ? [gnuTime, ['-f', '%M', '-o', rssFile, node.bin, ...args]] : [node.bin, args];
  const start = process.hrtime.bigint();
  const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (code !== 0) throw new Error(`node ${args.join(' ')} on Node ${node.major} exited ${code}: ${stderr}`);
  const maxRss = gnuTime ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) * 1024 : undefined;
  return { ms, maxRss };
}

/** Starts the bot: { readyMs, idleRss, idleHeap }. */
async function runBot(node, port, args) {
  const start = process.hrtime.bigint();
  const child = spawn(node.bin, args, {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISCORD_API: `http://127.0.0.1:${port}/api`, STARTUP_IDLE_MS: String(idleMs) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  try {
    const idle = waitLine(child, /^idle (.*)$/, 'idle');
    idle.catch(() => {}); // awaited below, unless READY never comes
    await waitLine(child, /^ready$/, 'ready');
    const readyMs = Number(process.hrtime.bigint() - start) / 1e6;
    const [, json] = await idle;
    const { rss, heapUsed } = JSON.parse(json);
    return { readyMs, idleRss: rss, idleHeap: heapUsed };
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
  const samples = Object.fromEntries([...processVariants, ...botVariants].map((v) => [v.key, {}]));
  const push = (key, values, r) => {
    for (const [metric, value] of Object.entries(values)) (samples[key][metric] ??= [])[r] = value;
  };
  console.log(`\nstart-up — Node ${node.version}: ${rounds} interleaved rounds of ${processVariants.length} processes, ${botRounds} of ${botVariants.length} bots (idle ${idleMs} ms after READY)`);
  // A first run of each, not counted: the files are in the page cache for every measured run.
  for (const v of processVariants) await runProcess(node, v.args);
  for (let r = 0; r < rounds; r++) {
    for (const v of shuffled(processVariants)) push(v.key, await runProcess(node, v.args), r);
  }
  const emulator = await startEmulator(undefined);
  try {
    for (let r = 0; r < botRounds; r++) {
      for (const v of shuffled(botVariants)) {
        const out = await runBot(node, emulator.port, v.args);
        push(v.key, out, r);
        console.log(`  round ${r + 1}: ${v.name.padEnd(40)} READY after ${out.readyMs.toFixed(0)} ms, idle RSS ${(out.idleRss / 2 ** 20).toFixed(1)} MB`);
      }
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  const result = {
    bench: 'startup', node: node.version, major: node.major, date: startedAt, machine: host, rounds, botRounds, idleMs,
    variants: [...processVariants, ...botVariants].map((v) => ({ key: v.key, name: v.name, baseline: v.baseline, args: v.args, ...samples[v.key] })),
  };
  const file = writeResults(`startup-${node.major}.json`, result);
  print(result);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

function print(result) {
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  console.log(`\nNode ${result.node}: medians (min–max)`);
  for (const v of result.variants) {
    const parts = [];
    const s = (xs, f) => { const m = summary(xs); return `${f(m.median)} (${f(m.min)}–${f(m.max)})`; };
    if (v.ms) parts.push(`${s(v.ms, (x) => x.toFixed(1))} ms to exit`);
    if (v.maxRss?.every(Number.isFinite)) parts.push(`peak RSS ${s(v.maxRss, mb)} MB`);
    if (v.readyMs) parts.push(`${s(v.readyMs, (x) => x.toFixed(0))} ms to READY`);
    if (v.idleRss) parts.push(`idle RSS ${s(v.idleRss, mb)} MB, heap ${s(v.idleHeap, mb)} MB`);
    console.log(`  ${v.name.padEnd(44)} ${parts.join(', ')}`);
  }
  console.log('');
  for (const g of startupGoals(result)) console.log(`  ${g.sentence}`);
}

forEachNode('STARTUP_NODES', startupOn);
