import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotProcess, GatewayEmulator } from '../../../src/testing/index';
import { freePort, Prometheus, type Sample } from './prometheus-server';

/*
 * The Grafana dashboard of examples/otel, proven against a real Prometheus: two real discord.js
 * bots under loopguard (one in report mode, one in strict mode) with the example's own SDK setup
 * (examples/otel/tracing.js, OTEL_METRICS_EXPORTER=prometheus), scraped every second. The bots
 * make blocking calls, acknowledge an interaction late and one delayed, and stall; then every
 * query of every panel (Grafana's variables replaced by values) must return series with the labels
 * the panel groups and names them by. A metric or label renamed in loopguard without the
 * dashboard returns nothing, and fails here.
 */

const tracing = resolve(__dirname, '../../../examples/otel/tracing.js');
const dashboardFile = resolve(__dirname, '../../../examples/otel/grafana/dashboards/loopguard.json');
const bot = resolve(__dirname, '../../fixtures/bots/metrics-bot.js');
const register = resolve(__dirname, '../../../dist/register.js');

interface Target { expr: string; legendFormat?: string }
interface Panel { title: string; targets: Target[] }
interface Dashboard { panels: Panel[]; templating: { list: { name: string; query: { query: string } }[] } }
const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;

/** Grafana's variables, as Grafana would fill them in: a rate window, the handler source picked. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$\{source\}|\$source\b/g, 'discord.js');
}

/**
 * What each panel must show after the bots ran: label values that must be among its series, and
 * whether its values must be above zero (counts that grew between two scrapes) or a number (not
 * NaN: a quantile of durations that were recorded).
 */
const expected: Record<string, { labels: Record<string, string[]>; values: 'positive' | 'number' }> = {
  'Blocking calls per second, by API': {
    labels: { loopguard_api: ['fs.readFileSync', 'crypto.pbkdf2Sync', 'Atomics.wait', 'fs.statSync'] }, values: 'number',
  },
  'Blocking calls per second, by handler event': {
    labels: { loopguard_handler_source: ['discord.js'], loopguard_handler_event: ['messageCreate', 'interactionCreate'] }, values: 'number',
  },
  'Share of time the loop was blocked in handlers': { labels: {}, values: 'positive' },
  'p99 blocking call duration, by API': { labels: { loopguard_api: ['fs.readFileSync', 'crypto.pbkdf2Sync'] }, values: 'number' },
  'Interaction acknowledgements delayed or late, per 5 min': { labels: { loopguard_outcome: ['late', 'delayed'] }, values: 'number' },
  'Calls stopped by strict mode, per 5 min': { labels: { loopguard_api: ['fs.statSync'] }, values: 'positive' },
  'Stalls (CPU loops, native calls) per handler event, per 5 min': {
    labels: { loopguard_handler_source: ['discord.js'], loopguard_handler_event: ['messageCreate'] }, values: 'positive',
  },
  'p99 stall duration': { labels: {}, values: 'number' },
};

/** What is wrong with a query's result (nothing: an empty list). */
function problems(panel: Panel, target: Target, result: Sample[]): string[] {
  const want = expected[panel.title];
  if (want === undefined) return [`no expectation for the panel "${panel.title}": add one above`];
  if (result.length === 0) return ['no data'];
  const found: string[] = [];
  for (const [label, values] of Object.entries(want.labels)) {
    const have = new Set(result.map((s) => s.metric[label]));
    for (const value of values) if (!have.has(value)) found.push(`no series with ${label}="${value}" (have: ${[...have].join(', ')})`);
  }
  // The legend names each series by labels: every series must have them.
  for (const [, label] of (target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
    if (result.some((s) => s.metric[label!] === undefined)) found.push(`the legend's {{${label}}} is not a label of every series`);
  }
  const grouped = /\bby \(([^)]*)\)/.exec(target.expr)?.[1]?.split(',').map((l) => l.trim()).filter((l) => l !== 'le') ?? [];
  for (const s of result) {
    if (Object.keys(s.metric).sort().join() !== [...grouped].sort().join()) found.push(`series labels ${JSON.stringify(s.metric)}, grouped by (${grouped.join(', ')})`);
  }
  const watched = result.filter((s) => Object.entries(want.labels).every(([l, vs]) => vs.includes(s.metric[l] ?? '')));
  if (want.values === 'positive' && !watched.some((s) => s.value > 0)) found.push(`no value above 0: ${JSON.stringify(result)}`);
  if (want.values === 'number' && watched.some((s) => Number.isNaN(s.value))) found.push(`NaN values: ${JSON.stringify(result)}`);
  return found;
}

let prometheus: Prometheus;
interface Bot { emulator: GatewayEmulator; process: BotProcess }
let reportBot: Bot;
let strictBot: Bot;

/**
 * A bot under loopguard with the example's SDK setup, connected to its own emulator. (Not
 * test/support/bot.ts' startBot: that one ends its bots after each test, and these serve them all.)
 */
async function startBot(env: NodeJS.ProcessEnv): Promise<Bot> {
  const emulator = await GatewayEmulator.start();
  const child = BotProcess.start({ script: bot, emulator, nodeArgs: ['-r', tracing, '-r', register], env: { LOOPGUARD_CONSOLE: 'off', ...env } });
  try {
    await child.waitForOutput(/ready/);
  } catch (error) {
    await child.stop('SIGKILL');
    await emulator.close();
    throw error;
  }
  return { emulator, process: child };
}

async function stopBot(b: Bot | undefined): Promise<void> {
  if (b === undefined) return;
  await b.process.stop();
  await b.emulator.close();
}

/** Polls until the expression returns data (Prometheus scrapes every second), or gives up. */
async function eventually(expr: string, ready: (r: Sample[]) => boolean, timeoutMs = 20_000): Promise<Sample[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const result = await prometheus.query(expr);
    if (ready(result) || Date.now() > until) return result;
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const [reportPort, strictPort] = [await freePort(), await freePort()];
  const env = (port: number, more: NodeJS.ProcessEnv = {}) => ({
    OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    OTEL_TRACES_EXPORTER: 'none', LOOPGUARD_STALL_MS: '300', ...more,
  });
  [reportBot, strictBot] = await Promise.all([startBot(env(reportPort)), startBot(env(strictPort, { LOOPGUARD_MODE: 'strict' }))]);
  prometheus = await Prometheus.start([`127.0.0.1:${reportPort}`, `127.0.0.1:${strictPort}`]);

  // Twice: counters that appear in a scrape grow only from the next one on, and rate() and
  // increase() see growth only. The late interaction (3.1 s) only once: its series is enough.
  const round = async (late: boolean) => {
    const { emulator } = reportBot;
    emulator.sendMessage('!read');
    emulator.sendMessage('!spin');
    strictBot.emulator.sendMessage('!stat');
    strictBot.emulator.sendMessage('!read');
    await Promise.all([
      emulator.sendCommand('hash').acknowledged,
      late ? emulator.sendCommand('slow', { timeoutMs: 10_000 }).acknowledged : undefined,
    ]);
  };
  await round(true);
  // Until Prometheus has scraped what the first round counted, on both bots.
  for (const expr of ['loopguard_stalls_total', 'loopguard_interaction_acks_total{loopguard_outcome="late"}', 'loopguard_blocking_calls_total{loopguard_outcome="thrown"}']) {
    if ((await eventually(expr, (r) => r.length > 0)).length === 0) {
      throw new Error(`Prometheus has no ${expr}; targets: ${JSON.stringify(await prometheus.targets())}\n${prometheus.output().slice(-1500)}`);
    }
  }
  await round(false);
}, 90_000);

afterAll(async () => {
  await Promise.all([stopBot(reportBot), stopBot(strictBot)]);
  await prometheus?.stop();
});

describe('examples/otel/grafana/dashboards/loopguard.json against Prometheus', () => {
  it('Prometheus scrapes both bots', async () => {
    // A scrape made while a bot blocked on purpose (the rounds spin and hash) can time out (1 s):
    // the next scrapes, once the bot is free, must succeed.
    const until = Date.now() + 10_000;
    let targets = await prometheus.targets();
    while (targets.some((t) => t.health !== 'up') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      targets = await prometheus.targets();
    }
    expect(targets.map((t) => [t.health, t.lastError])).toEqual([['up', ''], ['up', '']]);
  });

  describe.each(dashboard.panels.map((p) => [p.title, p] as const))('panel "%s"', (_title, panel) => {
    it.each(panel.targets.map((t) => [t.expr, t] as const))('%s', async (_expr, target) => {
      const expr = concrete(target.expr);
      expect(expr).not.toContain('$'); // every variable replaced
      const result = await eventually(expr, (r) => problems(panel, target, r).length === 0);
      expect(problems(panel, target, result)).toEqual([]);
    });
  });

  it('the handler source variable lists the bots\' source', async () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'source')!;
    const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.query.query)!;
    expect(await prometheus.labelValues(label!, metric!)).toEqual(['discord.js']);
  });

  it('a metric renamed without the dashboard is caught: the same checks fail on a renamed name', async () => {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const renamed = concrete(target.expr).replace(/\bloopguard_(\w+?)(_total|_seconds_bucket|_seconds_sum)\b/g, 'loopguard_$1_renamed$2');
        expect(renamed).not.toBe(concrete(target.expr));
        expect(problems(panel, target, await prometheus.query(renamed))).toContain('no data');
      }
    }
  });
});
