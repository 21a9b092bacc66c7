'use strict';
// loopguard's own work per handled gateway message, counted in instructions (valgrind's
// callgrind): what the flood measures in µs per message, where its rounds spread by ±10 % and
// cannot tell a change of 1 % (a tenth of a µs) apart. A real discord.js client handles
// MESSAGE_CREATE packets without a network (bench/events/packets.js), its handler making one small
// sync call or none, under no tool, a bare AsyncLocalStorage.run per event, and loopguard. Each
// count is taken twice, after EVENTS_WARM messages and then EVENTS_FEW or EVENTS_MANY more: the
// difference over the messages between is the steady state's per message, without start-up. Node
// runs with --predictable and one --random-seed (loopguard's sampling draws from Math.random), so
// a build's count repeats to the instruction, and with an old generation large enough that no
// full garbage collection falls between the two counts (one, some 40 M instructions, made no tool
// look 4,000 instructions a message dearer than loopguard). loopguard runs with
// LOOPGUARD_SAMPLE_ABOVE=1: its stack reads are a cost per second, not per message (the first 50
// calls of a second at a site, then fewer), and under callgrind a second holds some 50 times
// fewer messages, so at the default they would weigh 50 times as much per message (+13,000
// instructions). What is left of them is about 7 reads a second, one per 60 messages here (some
// 1,500 instructions a message, in both builds compared). Counts of builds of the
// same speed still differ: V8's inlining decides differently for code of a slightly different
// shape (a few hundred instructions per message either way), so compare builds by what they add
// over a bare run, and by changes larger than that.
//   npm run bench:instructions:events
//   EVENTS_NODES="20 22 24 26" (default: this Node), EVENTS_WARM (20000), EVENTS_FEW (5000),
//   EVENTS_MANY (25000), EVENTS_BEFORE=<a built checkout of an earlier loopguard>: counted too
// Needs valgrind (Debian: apt-get install valgrind). Results: bench/results/event-instructions-<major>.json
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { checkValgrind, instructionsOf } = require('./lib/callgrind');
const { forEachNode, machine, root, writeResults } = require('./lib/common');

const warm = Number(process.env.EVENTS_WARM ?? 20000);
const few = Number(process.env.EVENTS_FEW ?? 5000);
const many = Number(process.env.EVENTS_MANY ?? 25000);
const before = process.env.EVENTS_BEFORE ? path.resolve(process.env.EVENTS_BEFORE) : undefined;
const workload = path.join(__dirname, 'events', 'packets.js');

const sampled = { LOOPGUARD_SAMPLE_ABOVE: '1' };
const variants = [
  { key: 'none', name: 'no tool', args: [], env: {} },
  { key: 'bare-als', name: 'bare AsyncLocalStorage.run per event', args: [], env: { FLOOD_BARE_ALS: '1' } },
  { key: 'loopguard', name: 'loopguard', args: ['-r', path.join(root, 'dist', 'register.js')], env: sampled },
  ...(before ? [{ key: 'loopguard-before', name: `loopguard before (${path.basename(before)})`, args: ['-r', path.join(before, 'dist', 'register.js')], env: sampled }] : []),
];
const handlers = [
  { key: 'sync', name: 'a handler with one fs.existsSync' },
  { key: 'nosync', name: 'a handler without a sync call' },
];

/** The emulator's own guild and message objects (src/testing/fixtures.ts, read through tsx). */
function writePayloads() {
  const fixtures = require('tsx/cjs/api').require(path.join(root, 'src', 'testing', 'fixtures.ts'), __filename);
  const bot = fixtures.user('bench', true);
  const owner = fixtures.user('owner');
  const spec = fixtures.guild('bench');
  const payloads = {
    bot,
    guild: fixtures.guildCreate(spec, bot, owner, new Date().toISOString()),
    message: fixtures.message(spec.channels[0], owner, 'hello loopguard'),
  };
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-event-instructions-'));
  process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'payloads.json');
  fs.writeFileSync(file, JSON.stringify(payloads));
  return file;
}

/** Runs the tasks, two at a time (callgrind runs one process on one core). */
async function inPairs(tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const at = next++;
      results[at] = await tasks[at]();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

async function countOn(node) {
  const valgrind = checkValgrind('bench:instructions:events');
  const payloads = writePayloads();
  console.log(`\nevent instructions — Node ${node.version} --predictable --random-seed=1 --initial-old-space-size=512, ${valgrind}: instructions per message, from ${few} to ${many} messages after ${warm}; loopguard with LOOPGUARD_SAMPLE_ABOVE=1`);
  const result = { bench: 'event-instructions', node: node.version, major: node.major, date: new Date().toISOString(), machine: machine(), warm, few, many, handlers: [] };
  // Without loopguard's code cache: the two counts of a variant then start alike.
  const count = (v, handler, messages) => () => instructionsOf(node, [...v.args, workload], {
    cwd: root,
    flags: ['--random-seed=1', '--initial-old-space-size=512'],
    env: { ...v.env, LOOPGUARD_CODE_CACHE: 'off', EVENTS_PAYLOADS: payloads, EVENTS_HANDLER: handler.key, EVENTS_WARM: String(warm), EVENTS_COUNT: String(messages) },
    what: `${handler.name}, ${v.name}, ${messages} messages`,
  });
  for (const handler of handlers) {
    const tasks = variants.flatMap((v) => [count(v, handler, few), count(v, handler, many)]);
    const counts = await inPairs(tasks);
    const rows = variants.map((v, i) => ({ key: v.key, name: v.name, perMessage: Math.round((counts[2 * i + 1] - counts[2 * i]) / (many - few)), counts: [counts[2 * i], counts[2 * i + 1]] }));
    result.handlers.push({ key: handler.key, name: handler.name, variants: rows });
    show(handler, rows);
  }
  console.log(`results: ${writeResults(`event-instructions-${node.major}.json`, result)}`);
}

function show(handler, rows) {
  const none = rows.find((r) => r.key === 'none').perMessage;
  const bare = rows.find((r) => r.key === 'bare-als').perMessage;
  console.log(`  ${handler.name}: no tool ${none} instructions per message`);
  for (const r of rows.filter((x) => x.key !== 'none')) {
    const overBare = r.key === 'bare-als' ? '' : `, ${r.perMessage - bare >= 0 ? '+' : ''}${r.perMessage - bare} over a bare run (${(r.perMessage / bare).toFixed(3)}×)`;
    console.log(`    ${r.name.padEnd(40)} ${String(r.perMessage).padStart(7)}  +${r.perMessage - none} over no tool (${(r.perMessage / none).toFixed(3)}×)${overBare}`);
  }
}

forEachNode('EVENTS_NODES', countOn);
