import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BlockingCallReport, InteractionAckReport, Report, StallReport } from '../../src/core/reports';
import type { ReportSummary } from '../../src/cli/model';

/* Runs the built command as a user would (`node dist/cli/index.js …`), and builds report lines. */

export const root = resolve(__dirname, '../..');
export const cli = resolve(root, 'dist/cli/index.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: options.cwd ?? root, env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, stdout, stderr });
    });
  });
}

export async function runJson(args: string[], options: { cwd?: string } = {}): Promise<CliRun & { json: ReportSummary }> {
  const run = await runCli(['report', '--json', ...args], options);
  let json: ReportSummary;
  try {
    json = JSON.parse(run.stdout) as ReportSummary;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout.slice(0, 500)}\n${run.stderr}`);
  }
  return { ...run, json };
}

export function readReports(files: readonly string[]): Report[] {
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Report));
}

/** A blocking-call report as loopguard writes it; `over` sets any field. */
export function call(over: Partial<BlockingCallReport> = {}): BlockingCallReport {
  return {
    type: 'blocking-call', api: 'fs.readFileSync', kind: 'file-system', outcome: 'ran',
    durationMs: 1, maxDurationMs: 1, count: 1, aggregate: false, time: Date.UTC(2024, 4, 1, 12),
    handler: { source: 'discord.js', event: 'messageCreate', shard: 0 },
    site: { file: '/app/bot.js', line: 10, column: 5 },
    stack: '    at /app/bot.js:10:5\n    at Client.emit (node:events:519:28)',
    hint: 'fs.promises.readFile', docs: 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#fixing-file-system', pid: 100,
    ...over,
  };
}

export function ack(over: Partial<InteractionAckReport> = {}): InteractionAckReport {
  return {
    type: 'interaction-ack', api: 'interaction.reply', kind: 'interaction', outcome: 'late',
    durationMs: 3100, maxDurationMs: 3100, count: 1, aggregate: false, time: Date.UTC(2024, 4, 1, 12),
    handler: { source: 'discord.js', event: 'interactionCreate', shard: 0, commandName: 'slow' },
    site: { file: '/app/bot.js', line: 30, column: 23 }, stack: '',
    hint: 'acknowledge first', docs: 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#fixing-interaction', pid: 100,
    ackDelayMs: 3150, deadlineMs: 3000, blockers: [{ api: 'child_process.execSync', site: { file: '/app/bot.js', line: 29, column: 5 }, durationMs: 3100 }],
    ...over,
  };
}

export function stall(over: Partial<StallReport> = {}): StallReport {
  return {
    type: 'stall', api: 'renderChart', kind: 'stall', outcome: 'captured',
    durationMs: 1500, maxDurationMs: 1500, count: 1, aggregate: false, time: Date.UTC(2024, 4, 1, 12),
    handler: { source: 'discord.js', event: 'messageCreate', shard: 0 },
    site: { file: '/app/chart.js', line: 41, column: 7 }, stack: '    at renderChart (/app/chart.js:41:7)',
    hint: 'move CPU-heavy work off the main thread', docs: 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#fixing-stall', pid: 100,
    thresholdMs: 1000, captureDelayMs: 0.4,
    atRisk: { heartbeats: [{ shard: 0, intervalMs: 41250, missed: 1 }], interactions: [{ event: 'interactionCreate', source: 'discord.js', waitedMs: 3200, late: true }] },
    ...over,
  };
}

export const jsonl = (reports: readonly object[]): string => reports.map((r) => JSON.stringify(r) + '\n').join('');
