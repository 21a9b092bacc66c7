import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture, root } from '../support/run-node';

/*
 * A reader that goes away (`| head -1`) or an output that was never open: the process behaves as
 * plain Node does. (Any worker thread makes Node exit 1 with EPIPE here unless its output is kept
 * apart: loopguard's thread is one.)
 */

const app = fixture('pipe-app.js');

function shell(command: string, guarded: boolean): Promise<{ status: string; stderr: string }> {
  const node = `${JSON.stringify(process.execPath)} ${guarded ? '-r loopguard/register ' : ''}${JSON.stringify(app)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, GUARDED: guarded ? '1' : '0' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  const script = `${command.replace('NODE', node)}; echo "status=\${PIPESTATUS[0]}" >&2`;
  return new Promise((done) => {
    execFile('bash', ['-c', script], { cwd: root, env }, (_error, _stdout, stderr) => {
      done({ status: /status=(\d+)/.exec(stderr)?.[1] ?? 'none', stderr: stderr.replace(/status=\d+\n?/, '') });
    });
  });
}

describe('closed pipes and outputs', () => {
  it.each([
    ['stdout to a reader that leaves (| head -1)', 'NODE | head -1 >/dev/null'],
    ['stdout and stderr to a reader that leaves (2>&1 | head -1)', 'NODE 2>&1 | head -1 >/dev/null'],
    ['stderr closed (2>&-)', 'NODE 2>&- | tail -1 >/dev/null'],
  ])('%s: the same exit status, no error of loopguard\'s', async (_name, command) => {
    const [plain, guarded] = await Promise.all([shell(command, false), shell(command, true)]);
    expect(guarded.status).toBe(plain.status);
    expect(guarded.stderr).not.toMatch(/EPIPE|Unhandled 'error'|EBADF/);
  }, 20_000);
});
