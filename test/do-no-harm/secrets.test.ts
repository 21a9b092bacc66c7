import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/index';
import { OtlpReceiver } from '../support/otlp-receiver';
import { cleanup, fixture, runNode } from '../support/run-node';

/*
 * Secrets planted where a bot's calls carry them — the environment, a command line (an
 * assignment, an option, a header, a URL), a file path, a module path, the process' arguments —
 * never reach a sink: the console, the JSON Lines file, the callback, OpenTelemetry spans (also
 * the exceptions a handler rejects with) and metrics, in report and in strict mode.
 */

const app = fixture('secrets-app.js');
const tracing = resolve(__dirname, '../fixtures/otel/tracing.js');
const names = ['ENV_ASSIGNMENT', 'OPTION', 'HEADER', 'URL_PASSWORD', 'URL_QUERY', 'SPAWN', 'PATH', 'MODULE', 'ARGV', 'UNUSED'];
const tokens = Object.fromEntries(names.map((n, i) => [n, `tok${i}x${Math.random().toString(36).slice(2, 10)}`]));

let receiver: OtlpReceiver;
let moduleDir: string;
beforeEach(async () => {
  receiver = await OtlpReceiver.start();
  moduleDir = join(mkdtempSync(join(tmpdir(), 'loopguard-secrets-')), tokens['MODULE'] as string);
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, 'plugin.js'), 'module.exports = 1;\n');
});
afterEach(async () => {
  await receiver.close();
  rmSync(join(moduleDir, '..'), { recursive: true, force: true });
});

describe.each(['report', 'strict'] as const)('%s mode', (mode) => {
  it('no token reaches any sink, while the calls are reported', async () => {
    const env: Record<string, string> = { LOOPGUARD_MODE: mode, OTLP_ENDPOINT: receiver.url, MODULE_DIR: moduleDir };
    for (const [name, token] of Object.entries(tokens)) env[`SECRET_${name}`] = token;
    const run = await runNode(['-r', tracing, '-r', 'loopguard/register', app, `--token=${tokens['ARGV']}`], env);
    try {
      await receiver.waitFor((r) => r.spans.some((s) => s.name === 'fixture secret-4'));
      const file = readFileSync(join(run.dir, 'reports.jsonl'), 'utf8');
      const callbackReports = run.stdout.split('\n').filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as Report);
      const sinks = { console: run.stderr, jsonl: file, callback: run.stdout, otel: receiver.bodies.join('\n') };

      // What was reported: the calls, with what a report may show of them.
      const shown = run.reports.map((r) => [r.api, r.detail ?? r.module]);
      expect(shown).toEqual(expect.arrayContaining([
        ['child_process.execSync', 'pg_dump'],
        ['child_process.execFileSync', 'sh'],
        ['child_process.spawnSync', 'false'],
        ['fs.readFileSync', undefined],
      ]));
      if (mode === 'report') expect(shown).toContainEqual(['require', 'plugin.js']);
      expect(callbackReports.length).toBe(run.reports.length);
      expect(receiver.spans.filter((s) => s.name.startsWith('fixture secret-'))).toHaveLength(5);
      expect(receiver.spans.some((s) => s.events.some((e) => e.name === 'exception'))).toBe(true);

      for (const [sink, text] of Object.entries(sinks)) {
        for (const [name, token] of Object.entries(tokens)) {
          expect({ sink, name, found: text.includes(token as string) }).toEqual({ sink, name, found: false });
        }
      }
    } finally {
      cleanup(run);
    }
  }, 30_000);
});
