'use strict';
// What an idle bot costs: a discord.js bot (bench/idle/bot.js) logged in to the emulator and then
// sent nothing, with and without loopguard, in a folder of its own as most bots are. The CPU time of
// each of its threads is read from outside (Linux: /proc/<pid>/task/*/schedstat, and their
// voluntary context switches: how often each woke), over IDLE_WINDOW_MS that begin IDLE_SKIP_MS
// after READY (V8 goes on shrinking the heaps of a process that just started, loopguard's thread's
// too, for tens of seconds: on Node 26 its helper threads still took 4-5 ms a second 20-35 s after
// READY, and under 0.1 ms a minute after; that is start-up, not idling). Rounds interleaved; CPU in
// ms per second of idling, and the main thread's wakeups per second.
// Results: bench/results/idle-<major>.json.
//   npm run bench:idle
//   IDLE_NODES="20 22 24 26" (default: this Node), IDLE_ROUNDS (2), IDLE_SKIP_MS (60000),
//   IDLE_WINDOW_MS (15000); IDLE_BEFORE=<a built checkout of an earlier loopguard>: measured too
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { botFolder, buildName, exited, forEachNode, machine, root, shuffled, startEmulator, summary, useCodeCache, waitLine, warmCodeCache, writeResults } = require('./lib/common');

const rounds = Number(process.env.IDLE_ROUNDS ?? 2);
const skipMs = Number(process.env.IDLE_SKIP_MS ?? 60_000);
const windowMs = Number(process.env.IDLE_WINDOW_MS ?? 15_000);
const before = process.env.IDLE_BEFORE ? path.resolve(process.env.IDLE_BEFORE) : undefined;
const bot = path.join(__dirname, 'idle', 'bot.js');

if (process.platform !== 'linux') {
  console.error('bench:idle reads /proc: Linux only');
  process.exit(1);
}

useCodeCache('idle');
const variants = [
  { key: 'none', name: 'no tool', args: [bot] },
  { key: 'loopguard', name: 'loopguard', args: ['-r', 'loopguard/register', bot], cwd: botFolder() },
  ...(before ? [{ key: 'loopguard-before', name: `loopguard before (${buildName(before)})`, args: ['-r', 'loopguard/register', bot], cwd: botFolder(before), build: before }] : []),
];

/** Each thread's CPU time (ms) and voluntary context switches, by thread id. */
function threads(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const cpuNs = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const woke = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1]);
      out[tid] = { cpuMs: cpuNs / 1e6, woke };
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out;
}

async function idleOnce(node, port, v) {
  const child = spawn(node.bin, v.args, { cwd: v.cwd ?? root, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, DISCORD_API: `http://127.0.0.1:${port}/api` } });
  try {
    await waitLine(child, /^ready$/, 'ready');
    await new Promise((resolve) => setTimeout(resolve, skipMs));
    const a = threads(child.pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const b = threads(child.pid);
    const perS = (x) => x / (windowMs / 1000);
    let cpu = 0;
    for (const [tid, t] of Object.entries(b)) cpu += t.cpuMs - (a[tid]?.cpuMs ?? 0);
    const main = String(child.pid);
    return {
      cpuMsPerS: perS(cpu),
      mainCpuMsPerS: perS(b[main].cpuMs - a[main].cpuMs),
      mainWakeupsPerS: perS(b[main].woke - a[main].woke),
      otherCpuMsPerS: perS(cpu - (b[main].cpuMs - a[main].cpuMs)),
    };
  } finally {
    child.kill();
    await exited(child);
  }
}

async function idleOn(node) {
  const startedAt = new Date().toISOString();
  const host = machine();
  for (const v of variants.filter((x) => x.key !== 'none')) warmCodeCache(node, v.build);
  const emulator = await startEmulator(undefined);
  const samples = Object.fromEntries(variants.map((v) => [v.key, []]));
  console.log(`\nidle — Node ${node.version}: ${rounds} interleaved rounds of ${variants.length} bots, ${windowMs / 1000} s measured from ${skipMs / 1000} s after READY`);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const v of shuffled(variants)) {
        const out = await idleOnce(node, emulator.port, v);
        samples[v.key].push(out);
        console.log(`  round ${r + 1}: ${v.name.padEnd(36)} ${out.cpuMsPerS.toFixed(2)} ms CPU/s (main thread ${out.mainCpuMsPerS.toFixed(2)}, woken ${out.mainWakeupsPerS.toFixed(1)}/s; other threads ${out.otherCpuMsPerS.toFixed(2)})`);
      }
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  const result = {
    bench: 'idle', node: node.version, major: node.major, date: startedAt, machine: host, rounds, skipMs, windowMs,
    variants: variants.map((v) => ({ key: v.key, name: v.name, ...Object.fromEntries(['cpuMsPerS', 'mainCpuMsPerS', 'mainWakeupsPerS', 'otherCpuMsPerS'].map((k) => [k, samples[v.key].map((s) => s[k])])) })),
  };
  console.log(`\n  medians over ${rounds} rounds (ms of CPU per second idle; the main thread's wakeups per second):`);
  for (const v of result.variants) {
    const m = (k) => summary(v[k]).median;
    console.log(`    ${v.name.padEnd(36)} ${m('cpuMsPerS').toFixed(2)} ms/s (main ${m('mainCpuMsPerS').toFixed(2)}, ${m('mainWakeupsPerS').toFixed(1)} wakeups/s; other threads ${m('otherCpuMsPerS').toFixed(2)})`);
  }
  console.log(`  results: ${writeResults(`idle-${node.major}.json`, result)}`);
}

forEachNode('IDLE_NODES', idleOn);
