'use strict';
// Draws the pictures (docs/) of `loopguard report` and of the Grafana dashboard, from real runs:
//   docs/report.png     the HTML page of `loopguard report` over the report files of the sharded
//                       test bot (two shard processes, test/fixtures/bots/sharded), in headless Chromium
//   docs/dashboard.svg  what every panel's query of examples/otel/grafana/dashboards/loopguard.json
//                       returns from a real Prometheus scraping two bots (report and strict mode)
//                       run with examples/otel/tracing.js, as in test/otel/prometheus.test.ts
//   npm run docs:pictures      (needs chromium and prometheus: scripts/system-deps.sh)
const { execFile, execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { BotProcess, GatewayEmulator, shardOf } = require('loopguard/testing');

const root = path.join(__dirname, '..');
const docs = path.join(root, 'docs');
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

async function reportPicture() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-pictures-'));
  const emulator = await GatewayEmulator.start({ shards: 2, guilds: 4, maxConcurrency: 2, heartbeatIntervalMs: 200, dropSilentClients: false });
  const bot = BotProcess.start({
    script: path.join(root, 'test/fixtures/bots/sharded/manager.js'),
    emulator,
    nodeArgs: [],
    env: {
      SHARD_MODE: 'process', SHARD_BOT: 'report-bot.js', NODE_OPTIONS: `-r ${path.join(root, 'dist/register.js')}`,
      LOOPGUARD_CONSOLE: 'off', LOOPGUARD_STALL_MS: '300', LOOPGUARD_REPORT_FILE: path.join(dir, 'reports-%p-%t.jsonl'),
    },
  });
  try {
    await bot.waitForOutput(/ready/, 30_000);
    const channel = (shard) => emulator.guilds.find((g) => shardOf(g.id, 2) === shard).channels[0];
    let replies = 0;
    for (let round = 0; round < 4; round++) {
      for (const shard of [0, 1]) {
        for (let i = 0; i < 3 + round; i++) emulator.sendMessage('!read', { channel: channel(shard) });
        emulator.sendMessage('!stat', { channel: channel(shard) });
        replies += 4 + round;
      }
      await emulator.waitForMessages(replies);
      await emulator.sendCommand('hash', { channel: channel(round % 2) }).acknowledged;
      if (round === 1) await emulator.sendCommand('slow', { channel: channel(1) }).acknowledged;
      if (round === 2) await emulator.sendCommand('spin', { channel: channel(0) }).acknowledged;
      await pause(700);
    }
  } finally {
    await bot.stop();
    await emulator.close();
  }
  const html = path.join(dir, 'report.html');
  execFileSync(process.execPath, [path.join(root, 'dist/cli/index.js'), 'report', '--html', html, path.join(dir, 'reports-*.jsonl')], { cwd: root, stdio: 'inherit' });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-chromium-'));
  const png = path.join(docs, 'report.png');
  await new Promise((resolve, reject) => execFile('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`,
    `--screenshot=${png}`, '--window-size=1280,1600', `file://${html}`,
  ], { timeout: 90_000 }, (error) => (error ? reject(error) : resolve())));
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`wrote ${path.relative(root, png)}`);
}

const freePort = () => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

async function startPrometheus(dir, targets) {
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: bot\n    static_configs: [{ targets: ${JSON.stringify(targets)} }]\n`);
  const port = await freePort();
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { child, url };
    } catch {
      await pause(100);
    }
  }
  child.kill();
  throw new Error('prometheus did not start');
}

/** Small multiples: one chart per panel, one line per series, from query_range results. */
function drawDashboard(panels, from, to) {
  const cols = 2, w = 560, h = 190, pad = 14, left = 56, top = 34, plotW = w - left - 16, plotH = h - top - 30;
  const colours = ['#4a78c9', '#d0473a', '#2d9d6a', '#c98a1b', '#8a58c4', '#2aa3b8', '#7a838e'];
  const unitText = (unit, v) => {
    if (unit === 'percentunit') return `${+(v * 100).toPrecision(3)}%`;
    if (unit === 's') return v >= 1 ? `${+v.toPrecision(3)} s` : `${+(v * 1000).toPrecision(3)} ms`;
    if (unit === 'ops') return `${+v.toPrecision(3)}/s`;
    return `${+v.toPrecision(3)}`;
  };
  const charts = panels.map((panel, i) => {
    const x0 = pad + (i % cols) * (w + pad), y0 = 40 + Math.floor(i / cols) * (h + pad);
    const values = panel.series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
    const peak = Math.max(...values, 1e-12);
    const x = (t) => x0 + left + ((t - from) / (to - from)) * plotW;
    const y = (v) => y0 + top + plotH - (v / peak) * plotH;
    const lines = panel.series.map((s, j) => {
      const d = s.points.filter(([, v]) => Number.isFinite(v)).map(([t, v], k) => `${k === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${colours[j % colours.length]}" stroke-width="1.8"/>`;
    }).join('');
    const legend = panel.series.slice(0, 4).map((s, j) => `<tspan fill="${colours[j % colours.length]}">■</tspan> ${escape(s.name)}`).join('   ');
    return `<g><rect x="${x0}" y="${y0}" width="${w}" height="${h}" rx="6" fill="#fff" stroke="#dde2e8"/>
<text x="${x0 + 10}" y="${y0 + 20}" class="t">${escape(panel.title)}</text>
<line x1="${x0 + left}" y1="${y0 + top + plotH}" x2="${x0 + left + plotW}" y2="${y0 + top + plotH}" class="a"/>
<text x="${x0 + left - 6}" y="${y0 + top + 8}" text-anchor="end" class="s">${escape(unitText(panel.unit, peak))}</text>
<text x="${x0 + left - 6}" y="${y0 + top + plotH}" text-anchor="end" class="s">0</text>
${panel.series.length === 0 ? `<text x="${x0 + left + 10}" y="${y0 + top + plotH / 2}" class="s">no data</text>` : lines}
<text x="${x0 + left}" y="${y0 + h - 10}" class="s">${legend}</text></g>`;
  });
  const height = 40 + Math.ceil(panels.length / cols) * (h + pad) + 24;
  const width = pad + cols * (w + pad);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="ui-sans-serif, system-ui, sans-serif" font-size="12">
<style>.t{fill:#1d232b;font-size:13px;font-weight:600}.s{fill:#58626e;font-size:11px}.a{stroke:#8a939e}</style>
<rect width="100%" height="100%" fill="#f5f7f9"/>
<text x="${pad}" y="26" class="t">The loopguard Grafana dashboard's queries, answered by a real Prometheus (${Math.round((to - from))} s of two bots under loopguard)</text>
${charts.join('\n')}
<text x="${pad}" y="${height - 10}" class="s">Drawn by scripts/report-pictures.js from Prometheus' query_range answers to every panel's query ($__rate_interval = 10s, $source = discord.js).</text>
</svg>
`;
}

async function dashboardPicture() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-pictures-prom-'));
  const ports = [await freePort(), await freePort()];
  const bots = [];
  for (const [i, port] of ports.entries()) {
    const emulator = await GatewayEmulator.start();
    const process_ = BotProcess.start({
      script: path.join(root, 'test/fixtures/bots/metrics-bot.js'), emulator,
      nodeArgs: ['-r', path.join(root, 'examples/otel/tracing.js'), '-r', path.join(root, 'dist/register.js')],
      env: {
        LOOPGUARD_CONSOLE: 'off', LOOPGUARD_STALL_MS: '300', OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port), OTEL_TRACES_EXPORTER: 'none', ...(i === 1 ? { LOOPGUARD_MODE: 'strict' } : {}),
      },
    });
    bots.push({ emulator, process: process_ });
  }
  const prometheus = await startPrometheus(dir, ports.map((p) => `127.0.0.1:${p}`));
  try {
    await Promise.all(bots.map((b) => b.process.waitForOutput(/ready/)));
    await pause(6000); // Prometheus starts scraping new targets within ~5 s
    const from = Date.now() / 1000;
    const [main, strict] = bots;
    for (let second = 0; second < 40; second += 2) {
      for (let i = 0; i < 2 + (second % 6); i++) main.emulator.sendMessage('!read');
      if (second % 6 === 0) main.emulator.sendMessage('!spin');
      if (second % 4 === 0) strict.emulator.sendMessage('!stat');
      const acks = [main.emulator.sendCommand('hash').acknowledged];
      if (second === 10 || second === 24) acks.push(main.emulator.sendCommand('slow').acknowledged);
      await Promise.all(acks);
      await pause(2000);
    }
    await pause(3000);
    const to = Date.now() / 1000;
    const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'examples/otel/grafana/dashboards/loopguard.json'), 'utf8'));
    const panels = [];
    for (const panel of dashboard.panels) {
      const target = panel.targets[0];
      const expr = target.expr.replaceAll('$__rate_interval', '10s').replace(/\$\{source\}|\$source\b/g, 'discord.js');
      const params = new URLSearchParams({ query: expr, start: String(from), end: String(to), step: '1' });
      const body = await (await fetch(`${prometheus.url}/api/v1/query_range?${params}`)).json();
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      const series = body.data.result.map((r) => ({
        name: (target.legendFormat ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l) => r.metric[l] ?? '') || expr,
        points: r.values.map(([t, v]) => [t, Number(v)]),
      }));
      panels.push({ title: panel.title, unit: panel.fieldConfig?.defaults?.unit, series });
      console.log(`${panel.title}: ${series.length} series`);
    }
    const out = path.join(docs, 'dashboard.svg');
    fs.writeFileSync(out, drawDashboard(panels, from, to));
    console.log(`wrote ${path.relative(root, out)}`);
  } finally {
    await Promise.all(bots.map(async (b) => {
      await b.process.stop();
      await b.emulator.close();
    }));
    prometheus.child.kill();
    await new Promise((resolve) => prometheus.child.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  fs.mkdirSync(docs, { recursive: true });
  const only = process.argv[2];
  if (only !== 'dashboard') await reportPicture();
  if (only !== 'report') await dashboardPicture();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
