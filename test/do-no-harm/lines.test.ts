import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup, fixture, root, runNode } from '../support/run-node';

/*
 * No lost, no torn lines: every report the app made is a whole line in the report file, after a
 * full disk frees, around mock-fs, and when a signal ends a process whose thread pool is busy.
 */

const app = fixture('lines-app.js');
const mockFsWorks = spawnSync(process.execPath, [fixture('patchers-app.js'), 'mock-fs'], { cwd: root, env: { ...process.env, LOOPGUARD_MODE: 'off' } }).status === 0;

/** The report file's lines: each must be whole JSON. */
function lines(file: string): Record<string, unknown>[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Runs the app with its report file on a real tmpfs of 256 KiB (60 lines of about 1 KB fit with
 * room to spare once the filler is gone), and unmounts it after `check`.
 */
async function onSmallDisk(mode: string, check: (run: Awaited<ReturnType<typeof runNode>>, file: string) => void): Promise<void> {
  const mount = mkdtempSync(join(tmpdir(), 'loopguard-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
  try {
    const file = join(mount, 'reports.jsonl');
    const run = await runNode(['-r', 'loopguard/register', app, mode, join(mount, 'filler')], { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_REPORT_FILE: file });
    try {
      check(run, file);
    } finally {
      cleanup(run);
    }
  } finally {
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  }
}

describe('report lines under faults', () => {
  it('a disk that fills up and frees again: every line written, whole, once there is room (a real tmpfs)', async () => {
    await onSmallDisk('full-disk', (run, file) => {
      expect(run.code).toBe(0);
      expect(Number(run.stdout.trim())).toBe(60);
      const written = lines(file);
      expect(written).toHaveLength(60);
      expect(new Set(written.map((r) => (r['handler'] as { event: string }).event)).size).toBe(60);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} failed (ENOSPC): its lines are kept and written when it works again`);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} works again; no line was lost`);
    });
  }, 20_000);

  it('a disk that frees just before the app ends: the lines kept meanwhile are written as loopguard stops, not lost with its thread', async () => {
    await onSmallDisk('freed-at-exit', (run, file) => {
      expect(run.code).toBe(0);
      expect(Number(run.stdout.trim())).toBe(10);
      expect(lines(file)).toHaveLength(10);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} works again; no line was lost`);
      expect(run.stderr).not.toContain('not written');
    });
  }, 20_000);

  it('a disk still full when the app ends: no torn line, and stderr says how many lines were not written', async () => {
    await onSmallDisk('full-at-exit', (run, file) => {
      expect(run.code).toBe(0);
      expect(Number(run.stdout.trim())).toBe(10);
      expect(lines(file)).toHaveLength(0);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} still fails (ENOSPC) as loopguard closes it: 10 lines were not written`);
    });
  }, 20_000);

  it.runIf(mockFsWorks)('mock-fs replacing fs on the main thread: every line reaches the real file, during the mock and after restore()', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'mock-fs'], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(Number(run.stdout.trim())).toBe(20);
      expect(lines(join(run.dir, 'reports.jsonl'))).toHaveLength(20);
    } finally {
      cleanup(run);
    }
  });

  it('SIGTERM while libuv\'s thread pool is busy with the app\'s jobs: all 100 lines reported before it are on disk, in 4 runs of 4', async () => {
    for (let i = 0; i < 4; i++) {
      const run = await runNode(['-r', 'loopguard/register', app, 'busy-pool'], { LOOPGUARD_CONSOLE: 'off' });
      try {
        expect([run.code, run.signal]).toEqual([null, 'SIGTERM']);
        expect(run.stdout.trim()).toBe('100');
        expect(lines(join(run.dir, 'reports.jsonl'))).toHaveLength(100);
      } finally {
        cleanup(run);
      }
    }
  }, 30_000);
});
