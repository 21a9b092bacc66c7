import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inThreadEsmHooks } from '../support/esm-hooks';
import { cleanup, fixture, lineOf, root, runNode } from '../support/run-node';

/*
 * The ESM builds' loader in a CommonJS app: registered only once the app reaches an ES module
 * (import(), or require() of an ES module package), in time to hook what that loads.
 */
const app = fixture('esm-from-cjs.js');
const env = { LOOPGUARD_CONSOLE: 'off' };
const calls = (run: Awaited<ReturnType<typeof runNode>>) =>
  run.reports.filter((r) => r.type === 'blocking-call').map((r) => [r.api, r.site?.line, r.via]);

describe.runIf(inThreadEsmHooks)('ES module packages in a CommonJS app', () => {
  it('are hooked when the app first imports one with import(): bcryptjs\' ESM build is reported', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'import'], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('iitm loaded: true\n');
    expect(calls(run)).toEqual([['bcryptjs.compareSync', lineOf(app, 'bcryptjs'), undefined]]);
    cleanup(run);
  });

  it('are hooked when the app first requires an ES module package: enmap (ESM only) is reported', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'require'], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('iitm loaded: true\n');
    expect(calls(run)).toEqual([['enmap.Enmap#set', lineOf(app, 'enmap'), 'enmap → better-sqlite3']]);
    cleanup(run);
  });

  it('are not hooked while the app only requires CommonJS builds: the loader is never loaded', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'none'], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('iitm loaded: false\n');
    expect(calls(run)).toEqual([]);
    cleanup(run);
  });
});

describe('which ES module packages an ES module app gets hooked for', () => {
  /** An ES module app in a folder of its own, with `packages` installed there (ESM only: they export nothing to require()). */
  function runIn(packages: string[]): { stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), 'lg-esm-installed-'));
    try {
      for (const pkg of packages) {
        mkdirSync(join(dir, 'node_modules', pkg), { recursive: true });
        writeFileSync(join(dir, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, type: 'module', exports: { import: './index.js' } }));
        writeFileSync(join(dir, 'node_modules', pkg, 'index.js'), 'export const loaded = true;\n');
      }
      writeFileSync(join(dir, 'app.mjs'), "import { createRequire } from 'node:module';\nconsole.log(`iitm loaded: ${Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('import-in-the-middle'))}`);\n");
      const run = spawnSync(process.execPath, ['-r', join(root, 'dist/register.js'), 'app.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOOPGUARD_CONSOLE: 'off' } });
      expect(run.status, run.stderr).toBe(0);
      return { stdout: run.stdout, stderr: run.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('those in the app\'s folder, also one that exports nothing to require(); none when it has none', () => {
    const some = runIn(['@discordjs/core']);
    if (inThreadEsmHooks) {
      expect(some).toEqual({ stdout: 'iitm loaded: true\n', stderr: '' });
    } else {
      expect(some.stdout).toBe('iitm loaded: false\n');
      expect(some.stderr).toMatch(/the ES module builds of @discordjs\/core are not hooked/);
    }
    expect(runIn([])).toEqual({ stdout: 'iitm loaded: false\n', stderr: '' });
  });
});
