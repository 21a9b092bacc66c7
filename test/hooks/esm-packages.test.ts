import { describe, expect, it } from 'vitest';
import { inThreadEsmHooks } from '../support/esm-hooks';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

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
