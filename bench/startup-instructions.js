'use strict';
// Start-up work counted in instructions (valgrind's callgrind), which, unlike milliseconds on this
// shared machine, come out the same from run to run: what loopguard adds to `node -e 0`, to an
// empty ES module, to `require('discord.js')` and to a discord.js bot (against the emulator),
// beside what a bare worker thread adds to the same bot. All threads are counted (callgrind runs
// them one at a time). Node runs with V8's --predictable (no background compile or GC threads, no
// time-based GC heuristics): without it the same command's count varies by 1-15 % here, with it
// by less than 0.1 % (0.5 % for the bot with loopguard). The bot exits STARTUP_IDLE_S after
// READY, once a thread it started is up (under valgrind that takes seconds; a thread cut short at
// exit counted 2-8 % differently from run to run). Instructions are not milliseconds (bench:startup's are what a user waits): they
// are what two builds are compared by (STARTUP_BEFORE), where milliseconds cannot resolve it.
//   npm run bench:instructions
//   STARTUP_NODES="20 22 24 26" (default: this Node), STARTUP_RUNS (2 per variant), STARTUP_IDLE_S (15)
//   STARTUP_BEFORE=<folder>: another built checkout of loopguard, counted beside this build
//   STARTUP_GROUPS="cjs esm require bot": only these (printed, no results file written)
// Needs valgrind (Debian: apt-get install valgrind). Results: bench/results/instructions-<major>.json
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { addedInstructions, botFolder, exited, forEachNode, machine, median, millions, root, startEmulator, useCodeCache, warmCodeCache, writeResults } = require('./lib/common');

const runs = Number(process.env.STARTUP_RUNS ?? 2);
const idleS = Number(process.env.STARTUP_IDLE_S ?? 15);
const before = process.env.STARTUP_BEFORE ? path.resolve(process.env.STARTUP_BEFORE) : undefined;
const bot = path.join(__dirname, 'startup', 'bot.js');
const bareWorker = path.join(__dirname, 'startup', 'bare-worker.js');
const requireDiscord = path.join(__dirname, 'startup', 'require-discord.js');

// An empty ES module in a folder of its own (none of the packages whose ES module builds loopguard
// hooks is installed there, as in most bots).
const esmApp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-instructions-'));
fs.copyFileSync(path.join(__dirname, 'startup', 'empty.mjs'), path.join(esmApp, 'empty.mjs'));
process.on('exit', () => fs.rmSync(esmApp, { recursive: true, force: true }));

/** The preload of a build: this one, or STARTUP_BEFORE's. */
const registerOf = (build) => path.join(build, 'dist', 'register.js');
const builds = [['', root], ...(before ? [[' (before)', before]] : [])];

useCodeCache('instructions');
const botDir = botFolder();

// Each group: a baseline and what is compared with it (`first`: also a first start, without loopguard's code cache).
const groups = [
  { key: 'cjs', name: 'node -e 0', target: ['-e', '0'], preloads: (r) => ['-r', r], first: true },
  { key: 'esm', name: 'an empty ES module', target: ['empty.mjs'], cwd: esmApp, preloads: (r) => ['--import', r] },
  // In a bot's folder of its own, as most bots are: none of the hooked ES module packages there.
  { key: 'require', name: "require('discord.js')", target: [requireDiscord], cwd: botDir, preloads: (r) => ['-r', r], first: true },
  { key: 'bot', name: `a discord.js bot to READY, then ${idleS} s idle`, target: [bot], cwd: botDir, preloads: (r) => ['-r', r], env: { STARTUP_IDLE_MS: String(idleS * 1000) }, extra: [{ key: 'bot-worker', name: 'a bare worker thread', args: ['-r', bareWorker] }] },
];

const only = process.env.STARTUP_GROUPS?.split(/[\s,]+/).filter(Boolean);
const counted = only === undefined ? groups : groups.filter((g) => only.includes(g.key));

function variantsOf(group) {
  const list = [{ key: group.key, name: group.name, args: [], baseline: true }];
  for (const [label, build] of builds) list.push({ key: `${group.key}-loopguard${label ? '-before' : ''}`, name: `loopguard${label}`, args: group.preloads(registerOf(build)) });
  if (group.first) list.push({ key: `${group.key}-loopguard-first`, name: 'loopguard, a first start (no code cache)', args: group.preloads(registerOf(root)), env: { LOOPGUARD_CODE_CACHE: 'off' } });
  for (const e of group.extra ?? []) list.push(e);
  return list;
}

function checkValgrind() {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('bench:instructions needs valgrind (Debian: apt-get install valgrind)');
  }
}

/** Runs `cmd args` to its exit; resolves with its stderr (rejects on a non-zero status). */
async function run(cmd, args, { cwd, env }) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  await exited(child);
  if (child.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${child.exitCode ?? child.signalCode}:\n${stderr.slice(-2000)}`);
  return stderr;
}

async function instructions(node, v, group, env) {
  const stderr = await run('valgrind', ['--tool=callgrind', '--smc-check=all', '--callgrind-out-file=/dev/null', node.bin, '--predictable', ...v.args, ...group.target], { cwd: group.cwd ?? root, env: { ...env, ...group.env, ...v.env } });
  const counted = /Collected : (\d+)/.exec(stderr);
  if (counted === null) throw new Error(`no instruction count for ${group.name}, ${v.name}:\n${stderr.slice(-2000)}`);
  return Number(counted[1]);
}

async function countOn(node) {
  const valgrind = checkValgrind();
  const emulator = await startEmulator(undefined);
  const env = { DISCORD_API: `http://127.0.0.1:${emulator.port}/api` };
  const startedAt = new Date().toISOString();
  console.log(`\nstart-up instructions — Node ${node.version} --predictable, ${valgrind}: ${runs} runs per variant, medians; the bot exits ${idleS} s after READY`);
  const result = { bench: 'instructions', node: node.version, major: node.major, date: startedAt, machine: machine(), runs, idleS, groups: [] };
  for (const [, build] of builds) warmCodeCache(node, build, ['--predictable']);
  try {
    for (const group of counted) {
      const variants = [];
      for (const v of variantsOf(group)) {
        const counts = [];
        for (let i = 0; i < runs; i++) counts.push(await instructions(node, v, group, env));
        variants.push({ key: v.key, name: v.name, baseline: v.baseline === true, args: v.args.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)), instructions: counts });
      }
      const out = { key: group.key, name: group.name, variants };
      result.groups.push(out);
      show(out);
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  if (only === undefined) console.log(`results: ${writeResults(`instructions-${node.major}.json`, result)}`);
}

function show(group) {
  const base = group.variants.find((b) => b.baseline);
  console.log(`  ${group.name}: ${millions(median(base.instructions))} instructions (runs ${base.instructions.map(millions).join(', ')})`);
  for (const v of group.variants.filter((x) => !x.baseline)) {
    console.log(`    + ${v.name.padEnd(24)} ${addedInstructions(group, v).padStart(20)}   runs ${v.instructions.map(millions).join(', ')}`);
  }
}

forEachNode('STARTUP_NODES', countOn);
