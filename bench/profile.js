'use strict';
// Where the time of the flood's worst case goes (every event a handler with a reported call):
// the flood bot run with --cpu-prof, with loopguard and without a tool, and the main thread's
// samples taken during the flood only (the bot prints the flood's start and end on the
// profile's clock) summed by the function that was running ("self time"), bucketed:
//   loopguard (dist/) · node:async_hooks / AsyncLocalStorage · discord.js + ws · other
// A native function (no script: a V8 builtin or a binding, e.g. the stack capture) is charged to
// the nearest JavaScript function that called it. Printed in µs per message, then loopguard's
// functions and the functions whose time grew most. loopguard's own thread and V8's helper
// threads are not in the main thread's profile: the CPU time per message (process.cpuUsage(),
// all threads) is printed beside the profile's total.
//   npm run bench:profile
//   PROFILE_NODES (default: this Node), PROFILE_COUNT (40000), PROFILE_RUNS (2 of each, alternated),
//   PROFILE_INTERVAL_US (100), PROFILE_VARIANTS (flood variant keys, default "none,loopguard")
//   LOOPGUARD_BEFORE=<a built checkout of an earlier loopguard>: profiled too, between the two
//   (the README's before and after)
const fs = require('node:fs');
const path = require('node:path');
const { exited, forEachNode, resultsDir, root, startEmulator, writeResults } = require('./lib/common');
const { floodOnce } = require('./lib/flood-run');
const { floodVariants } = require('./lib/flood-variants');
const { functionLabel } = require('./lib/function-label');

const count = Number(process.env.PROFILE_COUNT ?? 40000);
const runs = Number(process.env.PROFILE_RUNS ?? 2);
const interval = Number(process.env.PROFILE_INTERVAL_US ?? 100);
const defaultKeys = process.env.LOOPGUARD_BEFORE ? 'none,loopguard-before,loopguard' : 'none,loopguard';
const keys = (process.env.PROFILE_VARIANTS ?? defaultKeys).split(',').map((s) => s.trim());
const dist = `${path.join(root, 'dist')}${path.sep}`;
// The earlier build's files count as loopguard's too (LOOPGUARD_BEFORE).
const beforeDist = process.env.LOOPGUARD_BEFORE ? `${path.resolve(process.env.LOOPGUARD_BEFORE, 'dist')}${path.sep}` : undefined;

const buckets = ['loopguard (dist/)', 'node:async_hooks / AsyncLocalStorage', 'discord.js + ws', 'other'];
const discordStack = /[\\/]node_modules[\\/](discord\.js|@discordjs[\\/][^\\/]+|ws|@sapphire[\\/][^\\/]+|@vladfrangu[\\/][^\\/]+|discord-api-types)[\\/]/;
/** A profile's script URL as a path (`node:` ones as they are). */
function fileOf(url) {
  return url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
}

/** A script's place: in the earlier build (LOOPGUARD_BEFORE) as `before:dist/...`, else relative to this checkout. */
function where(url) {
  const file = fileOf(url);
  if (beforeDist !== undefined && file.startsWith(beforeDist)) return `before:dist/${file.slice(beforeDist.length)}`;
  return path.relative(root, file);
}

/** A function's name for the docs, from the bundle it ran in (today's, or the build before's). */
function labelOf(f) {
  if (f.bucket !== buckets[0]) return undefined;
  const before = f.name.includes(' before:dist/');
  return functionLabel(f.name, path.join(before ? beforeDist : dist, 'loopguard.js'));
}

function bucketOf(url) {
  const file = fileOf(url);
  if (file.startsWith(dist) || (beforeDist !== undefined && file.startsWith(beforeDist))) return buckets[0];
  if (/^node:(internal\/)?(async_hooks|async_local_storage|async_context_frame)/.test(file)) return buckets[1];
  if (discordStack.test(file)) return buckets[2];
  return buckets[3];
}
const special = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * Self time in [from, to] (µs, the profile's clock) by bucket and by function. Sample i lasts
 * until sample i+1 (the last until endTime), as DevTools counts it.
 */
function summarise(profile, from, to) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The node a sample is charged to: itself, or for a native function its nearest JS caller.
  const chargedTo = new Map();
  const charge = (id) => {
    if (chargedTo.has(id)) return chargedTo.get(id);
    let at = id;
    for (;;) {
      const n = byId.get(at);
      if (n.callFrame.url !== '' || special.has(n.callFrame.functionName) || !parent.has(at)) break;
      at = parent.get(at);
    }
    chargedTo.set(id, at);
    return at;
  };
  const byBucket = Object.fromEntries(buckets.map((b) => [b, 0]));
  const byFunction = new Map();
  let idle = 0;
  let t = profile.startTime;
  const times = profile.samples.map((_, i) => (t += profile.timeDeltas[i]));
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i];
    if (at < from || at > to) continue;
    const self = Math.max(0, Math.min(i + 1 < times.length ? times[i + 1] : profile.endTime, to) - at);
    const n = byId.get(charge(profile.samples[i]));
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += self;
      continue;
    }
    const bucket = special.has(functionName) ? buckets[3] : bucketOf(url);
    byBucket[bucket] += self;
    const name = `${functionName || '(anonymous)'} ${url ? `${where(url)}:${lineNumber + 1}` : ''}`.trim();
    const f = byFunction.get(name) ?? { name, bucket, us: 0 };
    f.us += self;
    byFunction.set(name, f);
  }
  return { byBucket, byFunction, idle };
}

async function profileRun(node, emulator, v, dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const result = await floodOnce({
    node, emulator, count,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`, ...v.args],
    env: { ...v.env, FLOOD_HANDLER: v.handler ?? 'sync', FLOOD_WINDOW: '1', FLOOD_EXIT: '1' },
  });
  // The main thread's profile: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, thread 0.
  const file = fs.readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!file) throw new Error(`no main-thread profile in ${dir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const [from, to] = result.window;
  if (from < profile.startTime || to > profile.endTime) throw new Error(`the flood's window is not within the profile (${from}–${to} against ${profile.startTime}–${profile.endTime})`);
  return { ...summarise(profile, from, to), cpuUs: result.cpuUs, rate: result.rate };
}

async function profileOn(node) {
  const variants = keys.map((k) => {
    const v = floodVariants.find((c) => c.key === k);
    if (!v) throw new Error(`PROFILE_VARIANTS: no flood variant ${k}`);
    return v;
  });
  const emulator = await startEmulator(0);
  const totals = Object.fromEntries(variants.map((v) => [v.key, { byBucket: Object.fromEntries(buckets.map((b) => [b, 0])), byFunction: new Map(), idle: 0, cpuUs: [], messages: 0 }]));
  console.log(`\nprofile — Node ${node.version}: ${runs} runs of ${count} messages each for ${variants.map((v) => v.name).join(', ')}, sampling every ${interval} µs`);
  try {
    for (let r = 0; r < runs; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants) {
        const out = await profileRun(node, emulator, v, path.join(resultsDir, 'profile', `${node.major}-${v.key}`));
        const t = totals[v.key];
        for (const b of buckets) t.byBucket[b] += out.byBucket[b];
        for (const f of out.byFunction.values()) {
          const g = t.byFunction.get(f.name) ?? { ...f, us: 0 };
          g.us += f.us;
          t.byFunction.set(f.name, g);
        }
        t.idle += out.idle;
        t.cpuUs.push(out.cpuUs);
        t.messages += count;
        console.log(`  run ${r + 1}: ${v.name} — ${out.rate} msg/s, ${out.cpuUs.toFixed(1)} µs CPU/msg`);
      }
    }
  } finally {
    emulator.child.stdin.write('quit\n');
    await exited(emulator.child);
  }
  const perMessage = (us, t) => us / t.messages;
  const result = { bench: 'profile', node: node.version, major: node.major, date: new Date().toISOString(), count, runs, intervalUs: interval, variants: {} };
  console.log(`\nNode ${node.version}: main thread's self time during the flood, µs per message`);
  const width = Math.max(14, ...variants.map((v) => v.key.length + 2));
  console.log(`  ${'bucket'.padEnd(40)}${variants.map((v) => v.key.padStart(width)).join('')}${variants.length === 2 ? 'difference'.padStart(14) : ''}`);
  const row = (label, values) => {
    const diff = values.length === 2 ? (values[1] - values[0]).toFixed(2).padStart(14) : '';
    console.log(`  ${label.padEnd(40)}${values.map((x) => x.toFixed(2).padStart(width)).join('')}${diff}`);
  };
  for (const b of buckets) row(b, variants.map((v) => perMessage(totals[v.key].byBucket[b], totals[v.key])));
  row('main thread, total (profile)', variants.map((v) => perMessage(Object.values(totals[v.key].byBucket).reduce((a, b) => a + b, 0), totals[v.key])));
  row('CPU per message, all threads (cpuUsage)', variants.map((v) => totals[v.key].cpuUs.reduce((a, b) => a + b, 0) / totals[v.key].cpuUs.length));
  row('(idle, not counted above)', variants.map((v) => perMessage(totals[v.key].idle, totals[v.key])));
  for (const v of variants) {
    const t = totals[v.key];
    const functions = [...t.byFunction.values()].sort((a, b) => b.us - a.us);
    result.variants[v.key] = {
      name: v.name, messages: t.messages, cpuUs: t.cpuUs,
      bucketsUsPerMessage: Object.fromEntries(buckets.map((b) => [b, perMessage(t.byBucket[b], t)])),
      idleUsPerMessage: perMessage(t.idle, t),
      // Named now, by the bundle that ran: the docs are made later, from another build.
      topFunctions: functions.slice(0, 60).map((f) => ({ ...f, label: labelOf(f), usPerMessage: perMessage(f.us, t) })),
    };
  }
  // Against the first variant (no tool by default): each other variant's costliest loopguard
  // functions, and the functions outside loopguard whose self time grew most.
  const base = totals[variants[0].key];
  for (const v of variants.slice(1)) {
    const t = totals[v.key];
    const own = [...t.byFunction.values()].filter((f) => f.bucket === buckets[0]).sort((a, b) => b.us - a.us).slice(0, 15);
    if (own.length) {
      console.log(`\n  ${v.name}: loopguard's functions (self time, native callees included), µs per message:`);
      for (const f of own) console.log(`    ${perMessage(f.us, t).toFixed(2).padStart(7)}  ${f.name}`);
    }
    console.log(`\n  ${v.name}: functions outside loopguard whose self time grew most against ${variants[0].name}, µs per message:`);
    const grown = [...t.byFunction.values()].filter((f) => f.bucket !== buckets[0])
      .map((f) => ({ ...f, growth: perMessage(f.us, t) - perMessage(base.byFunction.get(f.name)?.us ?? 0, base) }))
      .sort((a, b) => b.growth - a.growth).slice(0, 12);
    for (const f of grown) console.log(`    ${('+' + f.growth.toFixed(2)).padStart(7)}  ${f.name}  [${f.bucket}]`);
  }
  // The default pair is what bench:docs reads; another choice of variants is kept beside it.
  const name = keys.join(',') === defaultKeys ? `profile-${node.major}.json` : `profile-${node.major}-${keys.join('+')}.json`;
  const file = writeResults(name, result);
  console.log(`results: ${path.relative(process.cwd(), file)}; profiles in ${path.relative(process.cwd(), path.join(resultsDir, 'profile'))}`);
}

forEachNode('PROFILE_NODES', profileOn);
