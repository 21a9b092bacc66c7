import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/index';
import { fixture, lineOf, root } from '../support/run-node';

/*
 * A signal ends a bot under loopguard exactly as it ends one without it: the same way (the
 * signal, or signal-exit's exit), in the same time, whatever the bot is doing — waiting for events,
 * spinning in a handler, blocked in execSync — and with signal-exit in the app. Each case runs
 * plain Node and Node with loopguard's preload side by side.
 */

const app = fixture('signal-states.js');
const graceMs = 3000;

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Died within the grace period after the signal (else it was killed with SIGKILL). */
  died: boolean;
  ms: number;
  stdout: string;
  reports: Report[];
}

function endWith(signal: NodeJS.Signals, state: string, signalExit: string, guarded: boolean): Promise<Ending> {
  const dir = mkdtempSync(join(tmpdir(), 'loopguard-signal-'));
  const reportFile = join(dir, 'reports.jsonl');
  const env: NodeJS.ProcessEnv = { ...process.env, SIGNAL_EXIT: signalExit, GUARDED: guarded ? '1' : '0', LOOPGUARD_REPORT_FILE: reportFile, LOOPGUARD_CONSOLE: 'off' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  // Its own process group: `sleep` (execSync's child) is killed with it at the end.
  const child = spawn(process.execPath, [...(guarded ? ['-r', 'loopguard/register'] : []), app, state], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  let sentAt = 0;
  let killer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (sentAt === 0 && stdout.includes('ready\n')) {
      sentAt = performance.now();
      child.kill(signal);
      killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    }
  });
  return new Promise((done) => {
    child.on('exit', (code, exitSignal) => {
      const ms = performance.now() - sentAt;
      clearTimeout(killer);
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone already
      }
      const text = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      const reports = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report);
      done({ code, signal: exitSignal, died: exitSignal !== 'SIGKILL', ms, stdout, reports });
    });
  });
}

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const cases: [NodeJS.Signals, string, string][] = [];
for (const signalExit of ['none', 'v3', 'v4']) {
  for (const signal of signals) {
    cases.push([signal, 'idle', signalExit], [signal, 'blocked', signalExit]);
    // A spinning process with signal-exit never dies of SIGINT/SIGHUP/SIGTERM, with or without
    // loopguard (its handler cannot run): one signal shows it.
    if (signalExit === 'none' || signal === 'SIGTERM') cases.push([signal, 'spin', signalExit]);
  }
}

describe('signals end the process as without loopguard', () => {
  it.each(cases)('%s, %s, signal-exit: %s', async (signal, state, signalExit) => {
    const [plain, guarded] = await Promise.all([endWith(signal, state, signalExit, false), endWith(signal, state, signalExit, true)]);
    const outcome = (e: Ending) => ({ code: e.code, signal: e.signal, died: e.died, onExit: e.stdout.includes('onExit ran') });
    expect(outcome(guarded)).toEqual(outcome(plain));
    if (plain.died) expect(Math.abs(guarded.ms - plain.ms)).toBeLessThan(750);
    // What was reported before the signal is on disk, whatever ended the process.
    expect(guarded.reports.map((r) => [r.api, r.site?.line])).toContainEqual(['fs.statSync', lineOf(app, 'before')]);
  }, 20_000);

  it('a process that sends itself SIGTERM dies of it (exit status 143 in a shell)', async () => {
    const script = 'setImmediate(() => process.kill(process.pid, "SIGTERM"))';
    const run = (args: string[]) => new Promise<NodeJS.Signals | null>((done) => {
      spawn(process.execPath, [...args, '-e', script], { cwd: root, stdio: 'ignore' }).on('exit', (_code, signal) => done(signal));
    });
    expect(await run(['-r', 'loopguard/register'])).toBe(await run([]));
    expect(await run(['-r', 'loopguard/register'])).toBe('SIGTERM');
  });
});
