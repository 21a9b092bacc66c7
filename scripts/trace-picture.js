'use strict';
// Draws the picture (docs/) of a trace from a real run: examples/bad-bot.js under loopguard and the
// OpenTelemetry zero-code setup (undici instrumentation for discord.js' REST calls), against the
// gateway emulator, exporting over OTLP/HTTP to a receiver here. A member runs /register; the
// interaction's trace is drawn as a waterfall into docs/trace.svg.
//   npm run build && node scripts/trace-picture.js
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { BotProcess, GatewayEmulator } = require('loopguard/testing');

const root = path.join(__dirname, '..');
const out = path.join(root, 'docs/trace.svg');

function receive() {
  const spans = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, scope: ss.scope?.name ?? '' });
        }
      }
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, spans, url: `http://127.0.0.1:${server.address().port}` })));
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function draw(spans) {
  const ns = (s) => [BigInt(s.startTimeUnixNano), BigInt(s.endTimeUnixNano)];
  const t0 = spans.reduce((m, s) => (ns(s)[0] < m ? ns(s)[0] : m), ns(spans[0])[0]);
  const t1 = spans.reduce((m, s) => (ns(s)[1] > m ? ns(s)[1] : m), 0n);
  const total = Number(t1 - t0) / 1e6;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const depth = (s) => (s.parentSpanId && byId.has(s.parentSpanId) ? 1 + depth(byId.get(s.parentSpanId)) : 0);
  const rows = [...spans].sort((a, b) => Number(ns(a)[0] - ns(b)[0]) || depth(a) - depth(b));
  const attr = (s, k) => s.attributes?.find((a) => a.key === k)?.value;
  const left = 330, width = 520, rowH = 30, top = 40;
  const x = (t) => left + (Number(t - t0) / 1e6 / total) * width;
  // An HTTP client span: its method and route, with ids as :id.
  const label = (s) => {
    const url = attr(s, 'url.full')?.stringValue;
    if (!url) return s.name;
    const route = new URL(url).pathname.replace(/\/interactions\/[^/]+\/[^/]+/, '/interactions/:id/:token').replace(/\/\d{5,}/g, '/:id');
    return `${s.name} ${route}`;
  };
  const colour = (s) => (s.scope === 'loopguard' ? (attr(s, 'loopguard.api') ? '#d9534f' : '#5b7fce') : '#8a8f98');
  const lines = rows.map((s, i) => {
    const [a, b] = ns(s);
    const y = top + i * rowH;
    const ms = (Number(b - a) / 1e6).toFixed(1);
    const where = attr(s, 'code.line.number') ? ` · ${path.basename(attr(s, 'code.file.path').stringValue)}:${attr(s, 'code.line.number').intValue}` : '';
    return [
      `<text x="${10 + depth(s) * 14}" y="${y + 19}" class="n">${escape(label(s))}</text>`,
      `<rect x="${x(a).toFixed(1)}" y="${y + 6}" width="${Math.max(2, x(b) - x(a)).toFixed(1)}" height="18" rx="3" fill="${colour(s)}"/>`,
      `<text x="${left + width + 10}" y="${y + 19}" class="d">${ms} ms${escape(where)}</text>`,
    ].join('');
  });
  const height = top + rows.length * rowH + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 190}" height="${height}" font-family="ui-sans-serif, system-ui, sans-serif" font-size="13">
<style>.n{fill:#222}.d{fill:#555;font-size:12px}.h{fill:#222;font-weight:600}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="24" class="h">Trace of one /register interaction (${total.toFixed(0)} ms): loopguard's handler span, its blocking call, discord.js' REST call</text>
${lines.join('\n')}
<text x="10" y="${height - 14}" class="d">blue: handler span · red: blocking call (loopguard) · grey: other instrumentations (undici) — drawn by scripts/trace-picture.js from a real run</text>
</svg>
`;
}

async function main() {
  const receiver = await receive();
  const emulator = await GatewayEmulator.start();
  const bot = BotProcess.start({
    script: path.join(root, 'examples/bad-bot.js'),
    emulator,
    nodeArgs: ['-r', '@opentelemetry/auto-instrumentations-node/register', '-r', 'loopguard/register'],
    env: {
      LOOPGUARD_CONSOLE: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'undici',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_NODE_RESOURCE_DETECTORS: 'none',
    },
  });
  try {
    await bot.waitForOutput(/ready as/);
    await emulator.sendCommand('register').acknowledged;
    const deadline = Date.now() + 10_000;
    let handler;
    while (!(handler = receiver.spans.find((s) => s.name === 'discord.js interactionCreate'))) {
      if (Date.now() > deadline) throw new Error('no interactionCreate span arrived');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const trace = receiver.spans.filter((s) => s.traceId === handler.traceId);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, draw(trace));
    console.log(`wrote ${path.relative(root, out)}: ${trace.map((s) => s.name).join(', ')}`);
  } finally {
    await bot.stop();
    await emulator.close();
    receiver.server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
