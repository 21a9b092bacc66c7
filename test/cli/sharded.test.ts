import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionAckReport, Report, StallReport } from '../../src/core/reports';
import type { ReportSummary } from '../../src/cli/model';
import { BotProcess, GatewayEmulator, shardOf } from '../../src/testing/index';
import { lineOf } from '../support/run-node';
import { dumpDom, pngSize, screenshot, textOf } from './chromium';
import { readReports, root, runCli, runJson } from './support';

/*
 * `loopguard report` on the report files of a real sharded bot: discord.js' ShardingManager (two
 * shards, as processes and as worker threads) under loopguard through NODE_OPTIONS, one file per
 * process and thread (reports-%p-%t.jsonl), against the gateway emulator. The merged numbers are
 * checked against the lines themselves, added up here, and against what the test made the bot do.
 */

const manager = resolve(__dirname, '../fixtures/bots/sharded/manager.js');
const bot = resolve(__dirname, '../fixtures/bots/sharded/report-bot.js');
const register = resolve(__dirname, '../../dist/register.js');
/** How the command shows the bot's path: relative to its working directory (the package root). */
const shown = relative(root, bot);

interface Run {
  dir: string;
  files: string[];
  reports: Report[];
}

/** Runs the sharded bot, makes it block, and returns its report files. */
async function runShardedBot(mode: 'process' | 'worker'): Promise<Run> {
  const emulator = await GatewayEmulator.start({ shards: 2, guilds: 4, maxConcurrency: 2, heartbeatIntervalMs: 200, dropSilentClients: false });
  // The stall's heartbeats at risk are known once shard 0 has sent a heartbeat (its timer, whose
  // period loopguard reads, starts then); before any, none are named. Waiting for two leaves a
  // margin: with start-up faster (the code cache), the commands came before the second in about
  // one run in three, which found no heartbeats when loopguard read the period at the second.
  let beats = 0;
  const beating = new Promise<void>((done) => emulator.on('heartbeat', (shard: unknown) => {
    if (shard === 0 && ++beats === 2) done();
  }));
  const dir = mkdtempSync(join(tmpdir(), 'loopguard-report-shards-'));
  const proc = BotProcess.start({
    script: manager,
    emulator,
    nodeArgs: [],
    env: {
      SHARD_MODE: mode, SHARD_BOT: 'report-bot.js', NODE_OPTIONS: `-r ${register}`, LOOPGUARD_CONSOLE: 'off',
      LOOPGUARD_STALL_MS: '300', LOOPGUARD_REPORT_FILE: join(dir, 'reports-%p-%t.jsonl'),
    },
  });
  try {
    await proc.waitForOutput(/ready/, 30_000);
    const channel = (shard: number) => emulator.guilds.find((g) => shardOf(g.id, 2) === shard)!.channels[0];
    for (const [content, shard] of [['!read', 0], ['!read', 0], ['!read', 0], ['!read', 1], ['!read', 1], ['!stat', 1]] as const) {
      emulator.sendMessage(content, { channel: channel(shard) });
    }
    await emulator.waitForMessages(6);
    await beating;
    const acks = await Promise.all([
      emulator.sendCommand('hash', { channel: channel(0) }).acknowledged,
      emulator.sendCommand('slow', { channel: channel(1) }).acknowledged,
      emulator.sendCommand('spin', { channel: channel(0) }).acknowledged,
    ]);
    expect(acks.map((a) => a.late)).toEqual([false, true, false]);
  } finally {
    await proc.stop();
    await emulator.close();
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, f));
  return { dir, files, reports: readReports(files) };
}

/** The lines added up here, per site line, to check the command's merge against. */
function linesAt(reports: Report[], type: Report['type'], line: number) {
  const at = reports.filter((r) => r.type === type && r.site?.line === line);
  return {
    count: at.reduce((n, r) => n + r.count, 0),
    durationMs: at.reduce((n, r) => n + r.durationMs, 0),
    maxMs: Math.max(...at.map((r) => r.maxDurationMs)),
    shards: [...new Set(at.map((r) => r.handler?.['shard']))].sort(),
    pids: new Set(at.map((r) => r.pid)).size,
    individual: at.filter((r) => !r.aggregate),
  };
}

describe.each(['process', 'worker'] as const)('a sharded bot in %s mode', (mode) => {
  let run: Run;
  let json: ReportSummary;
  let code: number | null;
  beforeAll(async () => {
    run = await runShardedBot(mode);
    // The pattern is quoted (no shell here at all): the command expands it.
    ({ json, code } = await runJson([join(run.dir, 'reports-*.jsonl')]));
  }, 90_000);
  afterAll(() => rmSync(run.dir, { recursive: true, force: true }));

  it('reads every file of every process and thread, and every line', () => {
    expect(code).toBe(0);
    // One file with lines per shard; the manager's main thread (and other threads) made empty ones.
    const empty = run.files.filter((f) => statSync(f).size === 0);
    expect(run.files.length - empty.length).toBe(2);
    expect(json.inputs.files.map((f) => f.path).sort()).toEqual([...run.files].sort());
    expect(json.inputs.emptyFiles).toBe(empty.length);
    expect(empty.length).toBeGreaterThanOrEqual(1);
    expect(json.inputs.reports).toBe(run.reports.length);
    expect(json.inputs.skipped.total).toBe(0);
    expect(json.totals.shards).toEqual([0, 1]);
    expect(json.totals.processes).toBe(mode === 'process' ? 2 : 1);
  });

  it('merges a call site over both shards: count, total and max are the lines\' sums', () => {
    const read = lineOf(bot, 'read');
    const lines = linesAt(run.reports, 'blocking-call', read);
    const site = json.sites.find((s) => s.site?.line === read)!;
    expect(site).toMatchObject({ api: 'fs.readFileSync', count: lines.count, maxMs: lines.maxMs, shards: [0, 1], processes: lines.pids });
    expect(site.site?.file).toBe(bot);
    expect(site.blockedMs).toBeCloseTo(lines.durationMs, 9);
    expect(site.handlers).toEqual([{ source: 'discord.js', event: 'messageCreate', count: lines.count }]);
    // Each shard's first call is a report of its own, on disk at once. Repeats are written as
    // aggregates every 10 s and at a normal exit: a shard the manager kills (SIGTERM for a process,
    // worker.terminate() for a thread) loses the repeats of its last seconds, as the README says.
    expect(lines.individual).toHaveLength(2);
    expect(site.count).toBeGreaterThanOrEqual(2);
    expect(site.count).toBeLessThanOrEqual(5);
    expect(site.p95Exact).toBe(lines.individual.length === lines.count);
  });

  it('ranks the sites by blocked time, as the lines add up', () => {
    const totals = new Map<string, number>();
    for (const r of run.reports.filter((x) => x.type === 'blocking-call')) {
      const key = `${r.api} ${r.site?.line}`;
      totals.set(key, (totals.get(key) ?? 0) + r.durationMs);
    }
    const expected = [...totals].sort((a, b) => b[1] - a[1]).map(([key]) => key);
    expect(json.sites.map((s) => `${s.api} ${s.site?.line}`)).toEqual(expected);
    expect(expected.slice(0, 2)).toEqual([`child_process.execSync ${lineOf(bot, 'slow')}`, `crypto.pbkdf2Sync ${lineOf(bot, 'hash')}`]);
    expect(json.totals.calls).toBe(run.reports.filter((r) => r.type === 'blocking-call').reduce((n, r) => n + r.count, 0));
  });

  it('the late and the delayed interaction, with what blocked them', () => {
    const lateLine = run.reports.find((r): r is InteractionAckReport => r.type === 'interaction-ack' && r.outcome === 'late')!;
    expect(json.totals).toMatchObject({ lateAcks: 1, delayedAcks: 1 });
    const late = json.interactions.find((a) => a.late === 1)!;
    expect(late).toMatchObject({
      api: 'interaction.reply', site: { file: bot, line: lineOf(bot, 'slow-ack') }, delayed: 0, commands: [{ name: 'slow', count: 1 }],
      maxAckDelayMs: lateLine.ackDelayMs, shards: [1],
      blockers: [{ api: 'child_process.execSync', site: { file: bot, line: lineOf(bot, 'slow') }, interactions: 1 }],
    });
    expect(late.maxAckDelayMs).toBeGreaterThan(3000);
    expect(late.blockers[0]!.durationMs).toBe(lateLine.blockers![0]!.durationMs);
    const delayed = json.interactions.find((a) => a.delayed === 1)!;
    expect(delayed).toMatchObject({ api: 'interaction.deferReply', site: { line: lineOf(bot, 'hash-ack') }, late: 0, commands: [{ name: 'hash', count: 1 }] });
    expect(delayed.blockers.map((b) => b.api)).toEqual(['crypto.pbkdf2Sync']);
  });

  it('the stall and what it put at risk (the watchdog watches main threads: process mode only)', () => {
    const stalls = run.reports.filter((r): r is StallReport => r.type === 'stall');
    if (mode === 'worker') {
      expect(stalls).toEqual([]);
      expect(json.stalls).toEqual([]);
      return;
    }
    expect(stalls).toHaveLength(1);
    const line = stalls[0]!;
    expect(json.totals.stalls).toBe(1);
    expect(json.stalls).toHaveLength(1);
    expect(json.stalls[0]).toMatchObject({
      api: 'spinFor', site: { file: bot, line: lineOf(bot, 'spinner') }, count: 1, stalledMs: line.durationMs, shards: [0],
      handlers: [{ source: 'discord.js', event: 'interactionCreate', count: 1 }],
      atRisk: {
        individually: 1,
        heartbeatsMissed: line.atRisk!.heartbeats.reduce((n, h) => n + h.missed, 0),
        interactionsWaiting: 1, // the /spin interaction itself, not acknowledged while it spun
        interactionsLate: 0,
      },
    });
    expect(json.stalls[0]!.atRisk.heartbeatsMissed).toBeGreaterThanOrEqual(1);
  });

  it('the text names the worst sites first', async () => {
    const { stdout, code: exit } = await runCli(['report', join(run.dir, 'reports-*.jsonl')]);
    expect(exit).toBe(0);
    // Paths under the working directory are shown relative to it.
    const exec = stdout.indexOf(`child_process.execSync at ${shown}:${lineOf(bot, 'slow')}:`);
    const hash = stdout.indexOf(`crypto.pbkdf2Sync at ${shown}:${lineOf(bot, 'hash')}:`);
    expect(exec).toBeGreaterThan(0);
    expect(hash).toBeGreaterThan(exec);
    expect(stdout).toContain(`Interactions: 1 acknowledged late (after Discord's deadline), 1 delayed by blocking calls`);
    expect(stdout).toContain('shards 0, 1');
  });

  it('the HTML page, opened in headless Chromium, names the ranked sites; its screenshot', async () => {
    const html = join(run.dir, 'report.html');
    const png = join(run.dir, 'report.png');
    const { code: exit } = await runCli(['report', '--html', html, join(run.dir, 'reports-*.jsonl')]);
    expect(exit).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//); // nothing to fetch
    const text = textOf(await dumpDom(html));
    const ranked = json.sites.map((s) => `${s.api} ${shown}:${s.site!.line}:${s.site!.column}`);
    const at = ranked.map((r) => text.indexOf(r));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at); // in rank order
    if (mode === 'process') expect(text).toContain(`spinFor ${shown}:${lineOf(bot, 'spinner')}:`);
    expect(text).toContain('interaction.reply');
    await screenshot(html, png);
    const size = pngSize(png);
    expect(size).toMatchObject({ width: 1280, height: 1600 });
    expect(size.bytes).toBeGreaterThan(30_000); // a blank page is a few KB
  }, 120_000);
});
