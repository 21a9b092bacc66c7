import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

/*
 * Builtins the app has not loaded at start-up are wrapped once it loads them, and loopguard never
 * loads them itself; every way of reaching them is guarded.
 */
const app = fixture('builtins-app.js');
const esm = fixture('builtins-esm.mjs');
const esmApp = fixture('builtins-esm-app.mjs');
const env = { LOOPGUARD_CONSOLE: 'off' };

async function run(file: string, ...args: string[]) {
  const result = await runNode(['-r', 'loopguard/register', file, ...args], env);
  cleanup(result);
  // On a Node without in-thread module hooks an ES module app is told its packages' ESM builds are not hooked.
  expect(result.stderr.replace(/^\[loopguard\] warning: on Node [^\n]* are not hooked [^\n]*\n/, '')).toBe('');
  const calls = result.reports.filter((r) => r.type === 'blocking-call').map((r) => [r.api, r.site?.file, r.site?.line]);
  return { calls, loaded: result.stdout.trim() };
}

const fromEsm = [
  ['child_process.execFileSync', esm, lineOf(esm, 'esm-exec')],
  ['zlib.gzipSync', esm, lineOf(esm, 'esm-gzip')],
];

describe('builtins the app loads after start-up', () => {
  it('through require(): reported in a handler', async () => {
    const { calls } = await run(app, 'require');
    expect(calls).toEqual([
      ['child_process.execFileSync', app, lineOf(app, 'require-exec')],
      ['zlib.gzipSync', app, lineOf(app, 'require-gzip')],
    ]);
  });

  it('through process.getBuiltinModule(): reported in a handler', async () => {
    const { calls } = await run(app, 'getBuiltinModule');
    expect(calls).toEqual([['zlib.gzipSync', app, lineOf(app, 'get-gzip')]]);
  });

  it.each(['import', 'require-esm'])('imported by name in an ES module the app reaches by %s: reported in a later handler', async (how) => {
    const { calls } = await run(app, how);
    expect(calls).toEqual(fromEsm);
  });

  it('imported by name in an ES module the handler itself imports: reported in that handler, and nothing of loopguard\'s own loading', async () => {
    const { calls } = await run(app, 'import-in-handler');
    expect(calls.filter(([api]) => api !== 'import')).toEqual(fromEsm);
  });

  it('imported by name in an ES module app: reported in a handler; the others are not loaded', async () => {
    const { calls, loaded } = await run(esmApp);
    expect(calls).toEqual([
      ['child_process.execFileSync', esmApp, lineOf(esmApp, 'app-exec')],
      ['zlib.gzipSync', esmApp, lineOf(esmApp, 'app-gzip')],
    ]);
    expect(loaded).toMatch(/^loaded: child_process zlib/);
    expect(loaded).not.toContain('crypto');
  });

  it.skipIf(process.versions.bun !== undefined)('where loopguard does not see Node load them: said once at the first turn of the loop, and those loaded by then are guarded', async () => {
    const late = fixture('builtins-late-handler.js');
    const result = await runNode(['-r', 'loopguard/register', '-r', fixture('untrap-load-list.js'), late], env);
    cleanup(result);
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.includes('does not see Node load its builtins'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('child_process');
    expect(warnings[0]).not.toContain('zlib');
    const calls = result.reports.filter((r) => r.type === 'blocking-call').map((r) => [r.api, r.site?.file, r.site?.line]);
    expect(calls).toEqual([['zlib.gzipSync', late, lineOf(late, 'late-gzip')]]);
  });

  it('not loaded by loopguard when the app never loads them', async () => {
    const { calls, loaded } = await run(app, 'none');
    expect(calls).toEqual([]);
    expect(loaded).toBe('loaded:');
  });
});
