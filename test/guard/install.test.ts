import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

/*
 * Builtins the app has not loaded: on a Node with module channels (22.15+, 24+) a CommonJS app's
 * are wrapped as it loads them, and loopguard never loads them itself; elsewhere all are wrapped
 * at start-up. Either way every way of reaching them is guarded.
 */
const app = fixture('builtins-app.js');
const esm = fixture('builtins-esm.mjs');
const env = { LOOPGUARD_CONSOLE: 'off' };
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const lazy = major >= 24 || (major === 22 && minor >= 15);

async function run(how: string) {
  const result = await runNode(['-r', 'loopguard/register', app, how], env);
  cleanup(result);
  expect(result.stderr).toBe('');
  const calls = result.reports.filter((r) => r.type === 'blocking-call').map((r) => [r.api, r.site?.file, r.site?.line]);
  return { calls, loaded: result.stdout.trim() };
}

describe('builtins the app loads after start-up', () => {
  it('through require(): reported in a handler', async () => {
    const { calls } = await run('require');
    expect(calls).toEqual([
      ['child_process.execFileSync', app, lineOf(app, 'require-exec')],
      ['zlib.gzipSync', app, lineOf(app, 'require-gzip')],
    ]);
  });

  it('through process.getBuiltinModule(): reported in a handler', async () => {
    const { calls } = await run('getBuiltinModule');
    expect(calls).toEqual([['zlib.gzipSync', app, lineOf(app, 'get-gzip')]]);
  });

  it.each(['import', 'require-esm'])('imported by name in an ES module the app reaches by %s: reported in a handler', async (how) => {
    const { calls } = await run(how);
    expect(calls).toEqual([
      ['child_process.execFileSync', esm, lineOf(esm, 'esm-exec')],
      ['zlib.gzipSync', esm, lineOf(esm, 'esm-gzip')],
    ]);
  });

  it(lazy ? 'not loaded by loopguard when the app never loads them' : 'all loaded at start-up on this Node (it cannot see an ES module import them)', async () => {
    const { calls, loaded } = await run('none');
    expect(calls).toEqual([]);
    expect(loaded).toBe(lazy ? 'loaded:' : 'loaded: child_process zlib crypto dgram');
  });
});
