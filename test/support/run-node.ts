import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report } from '../../src/index';

export const root = resolve(__dirname, '../..');
export const fixture = (name: string): string => join(root, 'test/fixtures/apps', name);

export interface NodeRun {
  code: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  reports: Report[];
  dir: string;
}

/**
 * Runs a real Node process from the package root (so `loopguard/register` resolves to this
 * package, built in dist/), or from `cwd` (a bot's folder: botFixture(), a folder of its own), with a report file, and
 * returns what it printed and reported.
 */
export function runNode(args: string[], env: Record<string, string> = {}, node = process.execPath, cwd = root): Promise<NodeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'loopguard-run-'));
  const reportFile = join(dir, 'reports.jsonl');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete childEnv[key];
  Object.assign(childEnv, { LOOPGUARD_REPORT_FILE: reportFile }, Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replaceAll('$DIR', dir)])));
  return new Promise((done) => {
    execFile(node, args.map((a) => a.replaceAll('$DIR', dir)), { cwd, env: childEnv, timeout: 20_000 }, (error, stdout, stderr) => {
      const text = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
      const reports = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Report);
      const signal = (error as { signal?: NodeJS.Signals | null } | null)?.signal ?? null;
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal, stdout, stderr, reports, dir });
    });
  });
}

export function cleanup(run: NodeRun): void {
  rmSync(run.dir, { recursive: true, force: true });
}

/** The 1-based line of `// @line:NAME` in a fixture. */
export function lineOf(file: string, name: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(`// @line:${name}`));
  if (at < 0) throw new Error(`no @line:${name} in ${file}`);
  return at + 1;
}
