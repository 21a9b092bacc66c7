'use strict';
// What loopguard adds to one handled event, without a gateway: a discord.js Client (not logged in)
// emits `messageCreate` to one listener, in a loop, in a process of its own per variant — no
// tool, a bare AsyncLocalStorage.run around each emit, and loopguard (`-r loopguard/register`).
// The flood (bench:flood) measures a bot; this measures the per-event code alone, in ns, with
// the handler kinds that show how a system call in the handler leaves that code cold.
//   npm run bench:emit
//   EMIT_NODES="20 22 24 26" the Node majors (default: this one); results in
//                            bench/results/emit-<major>.json
//   EMIT_ROUNDS (7) interleaved rounds, each one process per variant and handler
//   EMIT_HANDLERS ("nosync json uid stat"): pure JavaScript, a small JSON.stringify, a system
//                 call loopguard does not wrap (process.getuid), a reported call (fs.statSync)
// With the handlers `json` and `stat`, two more variants run with the OpenTelemetry SDK of
// bench/flood/otel-sdk.js sampling 1 % of traces: a bare consumer span per event (active around
// its listeners, ended after: the least an instrumentation does) and loopguard with its sink. The
// goal: loopguard with the SDK costs no more than that span plus loopguard alone.
//   EMIT_BEFORE=<a built checkout of an earlier loopguard>: that build too, in the same rounds
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { bareRunPerEvent, bareSpanPerEvent } = require('./lib/bare-emit');
const { forEachNode, machine, median, pairedDifferences, pairedRatios, pinned, shuffled, writeResults } = require('./lib/common');

const EVENTS = 100_000;
const INNER = 11; // batches per process; the first 3 warm up
const register = ['-r', require.resolve('loopguard/register')];
const sdk = ['-r', path.join(__dirname, 'flood', 'otel-sdk.js')];
const withSdk = ['json', 'stat'];
const variants = [
  { key: 'none', args: [], mode: 'plain' },
  { key: 'bare', args: [], mode: 'bare' },
  { key: 'loopguard', args: register, mode: 'plain' },
  { key: 'span', args: sdk, mode: 'span', handlers: withSdk },
  { key: 'loopguard-sdk', args: [...sdk, ...register], mode: 'plain', handlers: withSdk },
];
const before = process.env.EMIT_BEFORE ? path.join(path.resolve(process.env.EMIT_BEFORE), 'dist', 'register.js') : undefined;
if (before !== undefined) variants.push({ key: 'loopguard-before', args: ['-r', before], mode: 'plain' });
const runs = (v, h) => v.handlers === undefined || v.handlers.includes(h);

if (process.env.EMIT_CHILD) child(process.env.EMIT_CHILD);
else {
  const rounds = Number(process.env.EMIT_ROUNDS ?? 7);
  const handlers = (process.env.EMIT_HANDLERS ?? 'nosync json uid stat').split(/[\s,]+/).filter(Boolean);
  forEachNode('EMIT_NODES', async (node) => {
    console.log(`loopguard bench:emit — ${node.version}, ${rounds} interleaved rounds, ${EVENTS} events x ${INNER - 3} batches a process`);
    const ns = Object.fromEntries(handlers.map((h) => [h, Object.fromEntries(variants.map((v) => [v.key, []]))]));
    for (let r = 0; r < rounds; r++) {
      for (const h of handlers) for (const v of shuffled(variants)) if (runs(v, h)) ns[h][v.key].push(run(node, v, h));
      process.stdout.write(`  round ${r + 1}/${rounds}\r`);
    }
    const result = { bench: 'emit', node: node.version, major: node.major, date: new Date().toISOString(), machine: machine(), events: EVENTS, rounds, handlers: {} };
    console.log('\nns per event (medians)           none    bare  loopguard   lg-bare   lg/bare');
    for (const h of handlers) {
      const m = ns[h];
      const added = pairedDifferences(m.loopguard, m.bare);
      const ratio = pairedRatios(m.loopguard, m.bare);
      result.handlers[h] = { ns: m, loopguardMinusBare: added, loopguardOverBare: ratio, bareMinusNone: pairedDifferences(m.bare, m.none) };
      const cell = (xs) => median(xs).toFixed(0).padStart(7);
      console.log(`  ${h.padEnd(28)} ${cell(m.none)} ${cell(m.bare)} ${cell(m.loopguard)}    ${added.median.toFixed(0).padStart(6)}    ${ratio.median.toFixed(3)}  (${ratio.min.toFixed(3)}-${ratio.max.toFixed(3)})`);
    }
    if (before !== undefined) console.log('\nthis build against EMIT_BEFORE    before  loopguard   lg-before  lg/before');
    for (const h of before === undefined ? [] : handlers) {
      const m = ns[h];
      const added = pairedDifferences(m.loopguard, m['loopguard-before']);
      const ratio = pairedRatios(m.loopguard, m['loopguard-before']);
      result.handlers[h].loopguardMinusBefore = added;
      console.log(`  ${h.padEnd(30)} ${median(m['loopguard-before']).toFixed(0).padStart(7)} ${median(m.loopguard).toFixed(0).padStart(10)}    ${added.median.toFixed(0).padStart(8)}    ${ratio.median.toFixed(3)}  (${ratio.min.toFixed(3)}-${ratio.max.toFixed(3)})`);
    }
    const otel = handlers.filter((h) => withSdk.includes(h));
    if (otel.length > 0) console.log('\nOpenTelemetry SDK, 1 % of traces     span  lg+SDK  lg+SDK over span + lg alone');
    for (const h of otel) {
      const m = ns[h];
      // Per round: loopguard with the SDK against what a bare span and loopguard alone add up to.
      const sum = m.span.map((span, i) => span + m.loopguard[i] - m.none[i]);
      const over = pairedRatios(m['loopguard-sdk'], sum);
      result.handlers[h].loopguardSdkOverSum = over;
      console.log(`  ${h.padEnd(32)} ${median(m.span).toFixed(0).padStart(6)} ${median(m['loopguard-sdk']).toFixed(0).padStart(7)}  ${over.median.toFixed(3)} (${over.min.toFixed(3)}-${over.max.toFixed(3)})`);
    }
    console.log(`results: ${writeResults(`emit-${node.major}.json`, result)}\n`);
  });
}

/** One process of variant `v` on `node` with handler `h`: its median ns per event. */
function run(node, v, h) {
  const [cmd, args] = pinned(1, node.bin, [...v.args, __filename]);
  const out = execFileSync(cmd, args, {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, EMIT_CHILD: `${v.mode}:${h}`, LOOPGUARD_STALL_MS: 'off', FLOOD_OTEL_RATIO: '0.01' },
  });
  return Number(out.trim().split('\n').at(-1));
}

function child(spec) {
  const [mode, handler] = spec.split(':');
  const fs = require('node:fs');
  const { Client } = require('discord.js');
  if (mode === 'bare') bareRunPerEvent(Client);
  else if (mode === 'span') bareSpanPerEvent(Client);
  const client = new Client({ intents: [] });
  const file = __filename;
  let sink = 0;
  const handlers = {
    nosync: (m) => { sink += m.id.length; },
    json: (m) => { sink += JSON.stringify({ id: m.id, file }).length; },
    uid: () => { sink += process.getuid(); },
    stat: () => { sink += fs.statSync(file).size; },
  };
  if (!handlers[handler]) throw new Error(`EMIT_HANDLERS: unknown handler ${handler} (nosync, json, uid, stat)`);
  client.on('messageCreate', handlers[handler]);
  const batches = [];
  // Each batch in a callback of the loop, as a bot's events are.
  (function batch() {
    const start = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i++) client.emit('messageCreate', { id: String(i), content: 'x' });
    batches.push(Number(process.hrtime.bigint() - start) / EVENTS);
    if (batches.length < INNER) setImmediate(batch);
    else {
      console.log(median(batches.slice(3)).toFixed(1));
      process.exit(sink === -1 ? 1 : 0);
    }
  })();
}
