'use strict';
// How fast `loopguard report` reads report files: writes a JSON Lines file of LINES lines
// (default 1,000,000) shaped like a busy sharded bot's (200 call sites over 8 processes and 16
// shards, a first report per site and process, then aggregates; stalls and late interactions
// among them; every line with its stack, as loopguard writes them), then times the command on it
// (3 runs, the median) and prints lines per second.
//   npm run build && node bench/report.js [LINES]
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const lines = Number(process.argv[2] ?? 1_000_000);
const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-report-'));
const file = path.join(dir, 'reports.jsonl');

const apis = [
  ['fs.readFileSync', 'file-system', 'fs.promises.readFile'],
  ['fs.writeFileSync', 'file-system', 'fs.promises.writeFile'],
  ['child_process.execSync', 'process', 'util.promisify(child_process.execFile)'],
  ['crypto.pbkdf2Sync', 'crypto', 'crypto.pbkdf2'],
  ['zlib.gzipSync', 'compression', 'zlib.gzip (callback, or util.promisify)'],
];
const stackOf = (file, line) => [
  `    at handle (${file}:${line}:13)`,
  `    at Client.<anonymous> (${file}:${line - 20}:5)`,
  '    at Client.emit (node:events:519:28)',
  '    at MessageCreateAction.handle (/app/node_modules/discord.js/src/client/actions/MessageCreate.js:32:14)',
  '    at module.exports [as MESSAGE_CREATE] (/app/node_modules/discord.js/src/client/websocket/handlers/MESSAGE_CREATE.js:4:32)',
  '    at WebSocketManager.handlePacket (/app/node_modules/discord.js/src/client/websocket/WebSocketManager.js:348:31)',
  '    at WebSocketManager.<anonymous> (/app/node_modules/discord.js/src/client/websocket/WebSocketManager.js:232:12)',
  '    at WebSocketManager.emit (/app/node_modules/@vladfrangu/async_event_emitter/dist/index.cjs:287:31)',
].join('\n');

function generate() {
  const out = fs.openSync(file, 'w');
  const pids = [4101, 4102, 4103, 4104, 4105, 4106, 4107, 4108];
  const seen = new Set();
  let chunk = '';
  let t = Date.UTC(2024, 4, 1, 12);
  for (let i = 0; i < lines; i++) {
    const siteNo = (i * 7919) % 200;
    const pid = pids[i % pids.length];
    const shard = (i % pids.length) * 2 + (i % 2);
    const f = `/app/src/commands/cmd${siteNo % 40}.js`;
    const line = 10 + siteNo;
    const first = !seen.has(`${siteNo}:${pid}`);
    seen.add(`${siteNo}:${pid}`);
    const count = first ? 1 : 1 + (i % 17);
    const max = 0.2 + (siteNo % 13) * 1.7;
    const base = {
      durationMs: first ? max : max + (count - 1) * max / 3, maxDurationMs: max, count, aggregate: !first, time: (t += 3),
      handler: { shard, guildId: '81384788765712384', source: 'discord.js', event: siteNo % 3 ? 'messageCreate' : 'interactionCreate' },
      site: { file: f, line, column: 13 }, stack: stackOf(f, line), pid,
    };
    let report;
    if (siteNo === 199) {
      report = { type: 'stall', api: 'renderChart', kind: 'stall', outcome: 'captured', ...base, durationMs: 1200 * count, maxDurationMs: 1500,
        hint: 'move CPU-heavy work off the main thread', docs: 'https://github.com/loopguard/loopguard#fixing-stall', thresholdMs: 1000, captureDelayMs: 0.5,
        atRisk: { heartbeats: [{ shard, intervalMs: 41250, missed: 1 }], interactions: [] } };
    } else if (siteNo === 198) {
      report = { type: 'interaction-ack', api: 'interaction.reply', kind: 'interaction', outcome: Math.floor(i / 200) % 2 ? "late" : "delayed", ...base,
        hint: 'acknowledge first (deferReply/deferUpdate), then do slow work asynchronously', docs: 'https://github.com/loopguard/loopguard#fixing-interaction',
        ackDelayMs: 3100, deadlineMs: 3000, blockers: [{ api: 'child_process.execSync', site: { file: f, line: line - 1, column: 5 }, durationMs: 3050 }] };
    } else {
      const [api, kind, hint] = apis[siteNo % apis.length];
      report = { type: 'blocking-call', api, kind, outcome: 'ran', ...base, hint, docs: `https://github.com/loopguard/loopguard#fixing-${kind}` };
    }
    chunk += JSON.stringify(report) + '\n';
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
}

const started = process.hrtime.bigint();
generate();
const size = fs.statSync(file).size;
console.log(`generated ${lines.toLocaleString('en-US')} lines (${(size / 2 ** 20).toFixed(0)} MiB) in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
const times = [];
let result;
for (let run = 0; run < 3; run++) {
  const t0 = process.hrtime.bigint();
  result = JSON.parse(execFileSync(process.execPath, [path.join(root, 'dist/cli/index.js'), 'report', '--json', file], { maxBuffer: 1 << 28 }).toString());
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[1];
if (result.inputs.reports !== lines) throw new Error(`read ${result.inputs.reports} reports of ${lines}`);
console.log(`loopguard report --json: ${median.toFixed(2)} s (runs: ${times.map((x) => x.toFixed(2)).join(', ')} s), ${Math.round(lines / median).toLocaleString('en-US')} lines/s, ${(size / 2 ** 20 / median).toFixed(0)} MiB/s`);
console.log(`merged: ${result.totals.sites} sites, ${result.totals.calls.toLocaleString('en-US')} calls, ${result.totals.stalls.toLocaleString('en-US')} stalls, ${result.totals.lateAcks.toLocaleString('en-US')} late acks`);
fs.rmSync(dir, { recursive: true, force: true });
