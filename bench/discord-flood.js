'use strict';
// A real discord.js bot flooded with MESSAGE_CREATE by the emulator (in another process, each
// pinned to its own core; the whole flood is sent while the bot does not read, then the bot
// handles it as fast as it can: bench/lib/flood-run.js): loopguard beside what a user would otherwise pick (no tool,
// `node --trace-sync-io`, OpenTelemetry's instrumentation-fs with an SDK, blocked-at,
// monitorEventLoopDelay alone, a bare AsyncLocalStorage.run per event), in one run of interleaved
// rounds. Per variant: throughput (messages a second) and the bot's CPU time per message
// (process.cpuUsage() across the flood, all its threads), each also as a ratio to its baseline
// paired within the round, with the spread over rounds. Results: bench/results/flood-<major>.json
// (scripts/bench-docs.js turns them into docs/performance.md's tables).
//   npm run bench:flood
//   FLOOD_NODES="20 22 24 26"  the Node majors the bot runs on (default: this one); the emulator stays on this Node
//   FLOOD_ROUNDS (7), FLOOD_COUNT (60000 messages per run, as the issue measured; on Node 24 the
//   first 20,000 took nearly twice the CPU per message of the rest, with loopguard and without,
//   so that a shorter flood weighs what a process does only at first more), FLOOD_TIMEOUT_S (180 per run)
//   FLOOD_ONLY: comma-separated variant keys or names, e.g. "none,loopguard"
//   FLOOD_FOCUS=1 (npm run bench:flood:focus): no tool, a bare AsyncLocalStorage.run, loopguard
//   and loopguard with LOOPGUARD_OTEL=off alone, 21 rounds unless FLOOD_ROUNDS says otherwise:
//   the goals within 1–3 % (against a bare run, without OpenTelemetry's API), which the full run's
//   7 rounds of 19 variants cannot tell from its noise (three runs of a day put Node 20 at
//   1.039–1.085 against a bare run). Results: bench/results/flood-focus-<major>.json, judged
//   beside the full run's.
//   FLOOD_VARIANTS: JSON of more variants, { "name": { "args": [...], "env": {...} } }
const fs = require('node:fs');
const path = require('node:path');
const { exited, forEachNode, machine, median, pairedRatios, resultsDir, shuffled, startEmulator, summary, taskset, writeResults } = require('./lib/common');
const { floodOnce } = require('./lib/flood-run');
const { floodVariants } = require('./lib/flood-variants');
const { floodGoals, focusGoals, focusKeys } = require('./lib/goals');

const focus = process.env.FLOOD_FOCUS === '1';
const rounds = Number(process.env.FLOOD_ROUNDS ?? (focus ? 21 : 7));
const count = Number(process.env.FLOOD_COUNT ?? 60000);
const timeoutMs = Number(process.env.FLOOD_TIMEOUT_S ?? 180) * 1000;
const logs = path.join(resultsDir, 'logs');

const only = process.env.FLOOD_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
function variantsFor(major) {
  const all = floodVariants.filter((v) => !v.nodes || v.nodes(major));
  if (focus) return all.filter((v) => focusKeys.includes(v.key));
  if (!only) return all;
  return only.map((id) => {
    const v = all.find((c) => c.key === id || c.name === id);
    if (!v) throw new Error(`FLOOD_ONLY: no variant "${id}" on Node ${major}; variants: ${all.map((c) => c.key).join(', ')}`);
    return v;
  });
}

/** One bot run: { rate, cpuUs, stats, sentMs, and what the tool wrote on stderr }. */
async function run(node, emulator, v, round) {
  fs.mkdirSync(logs, { recursive: true });
  const stderrFile = path.join(logs, `flood-${node.major}-${v.key}.stderr`);
  try {
    const result = await floodOnce({
      node, emulator, nodeArgs: v.args, env: { ...v.env, FLOOD_HANDLER: v.handler ?? 'sync' }, count, stderrFile, timeoutMs,
    });
    const text = fs.readFileSync(stderrFile, 'utf8');
    return {
      ...result, stderrLines: text === '' ? 0 : text.split('\n').length - 1,
      syncIoWarnings: (text.match(/WARNING: Detected use of sync API/g) ?? []).length,
      syncIoWarningsInHandler: (text.match(/WARNING: Detected use of sync API\n(?:\s+at .*\n)*?\s+at .*bench\/flood\/bot\.js/g) ?? []).length,
      loopguardLines: (text.match(/^\[loopguard\]/gm) ?? []).length,
    };
  } catch (error) {
    const tail = fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new Error(`Node ${node.major}, ${v.name}, round ${round + 1}: ${error.message}\n--- the bot's stderr (${stderrFile}):\n${tail}`);
  }
}

async function floodOn(node) {
  const variants = variantsFor(node.major);
  const emulator = await startEmulator(0);
  const samples = Object.fromEntries(variants.map((v) => [v.key, { rate: [], cpuUs: [], sentMs: [], last: undefined }]));
  const startedAt = new Date().toISOString();
  const host = machine();
  console.log(`\ndiscord.js flood — bot on Node ${node.version}, emulator on ${process.version}; ${count} messages per run, ${rounds} interleaved rounds of ${variants.length} variants${taskset ? ', emulator and bot pinned to separate cores' : ''}`);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const v of shuffled(variants)) {
        const out = await run(node, emulator, v, r);
        const s = samples[v.key];
        s.rate[r] = out.rate;
        s.cpuUs[r] = out.cpuUs;
        s.sentMs[r] = out.sentMs;
        const { rate, cpuUs, sentMs, ...last } = out;
        s.last = last;
        console.log(`  round ${r + 1}: ${v.name.padEnd(40)} ${String(out.rate).padStart(6)} msg/s ${out.cpuUs.toFixed(1).padStart(7)} µs CPU/msg`);
      }
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  const result = {
    bench: focus ? 'flood-focus' : 'flood', node: node.version, major: node.major, emulatorNode: process.version, date: startedAt, machine: host,
    count, rounds, pinned: Boolean(taskset),
    variants: variants.map((v) => ({
      key: v.key, name: v.name, tells: v.tells, handler: v.handler ?? 'sync', baseline: v.baseline, args: v.args.map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) : a)), env: v.env,
      rate: samples[v.key].rate, cpuUs: samples[v.key].cpuUs, sentMs: samples[v.key].sentMs, ...samples[v.key].last,
    })),
  };
  const file = writeResults(`${result.bench}-${node.major}.json`, result);
  print(result);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return result;
}

function print(result) {
  console.log(`\nNode ${result.node}: medians, and ratios to the baseline paired within each round (median, min–max)`);
  console.log(`  ${'variant'.padEnd(40)} ${'msg/s'.padStart(6)}  ${'throughput'.padEnd(24)} ${'CPU µs/msg'.padStart(10)}  CPU/msg`);
  for (const v of result.variants) {
    const base = v.baseline && result.variants.find((b) => b.key === v.baseline);
    const fmt = (s) => `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
    const rate = base ? fmt(pairedRatios(v.rate, base.rate)) : 'baseline';
    const cpu = base ? fmt(pairedRatios(v.cpuUs, base.cpuUs)) : 'baseline';
    console.log(`  ${v.name.padEnd(40)} ${String(Math.round(median(v.rate))).padStart(6)}  ${rate.padEnd(24)} ${summary(v.cpuUs).median.toFixed(1).padStart(10)}  ${cpu}`);
  }
  const sent = summary(result.variants.flatMap((v) => v.sentMs));
  console.log(`  (the emulator sent ${result.count} messages in ${sent.median.toFixed(0)} ms median: at most ${Math.round(result.count / sent.min * 1000)} msg/s)`);
  console.log('');
  for (const g of (result.bench === 'flood-focus' ? focusGoals : floodGoals)(result)) console.log(`  ${g.sentence}`);
}

forEachNode('FLOOD_NODES', floodOn);
