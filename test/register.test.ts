import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, root, runNode } from './support/run-node';

/* Real applications in real Node processes, loaded with -r and --import, CommonJS and ESM. */

const cjs = fixture('cjs-app.js');
const esm = fixture('esm-app.mjs');

describe.each([
  ['-r', ['-r', 'loopguard/register']],
  ['--import', ['--import', 'loopguard/register']],
])('a CommonJS app under %s', (_flag, preload) => {
  it('reports the handler calls with their lines, and nothing from start-up or outside handlers', async () => {
    const run = await runNode([...preload, cjs]);
    try {
      expect(run.code).toBe(0);
      const firsts = run.reports.filter((r) => !r.aggregate);
      const summary = firsts.map((r) => [r.api, r.site?.line, r.handler?.event]);
      expect(summary).toEqual(expect.arrayContaining([
        ['fs.readFileSync', lineOf(cjs, 'direct'), 'message'],
        ['fs.existsSync', lineOf(cjs, 'after-await'), 'message'],
        ['fs.statSync', lineOf(cjs, 'timer'), 'message'],
      ]));
      expect(firsts).toHaveLength(3);
      for (const r of firsts) {
        expect(r.site?.file).toBe(cjs);
        expect(r.handler).toEqual({ source: 'fixture', event: 'message' });
        expect(r.stack.split('\n')[0]).toContain(`${cjs}:${r.site?.line}:`);
        expect(r.stack).not.toContain('/dist/');
      }
      // The second emit repeats every site: counted into aggregates, not reported again as new.
      const repeats = run.reports.filter((r) => r.aggregate);
      expect(repeats.map((r) => r.api).sort()).toEqual(['fs.existsSync', 'fs.readFileSync', 'fs.statSync']);
      expect(repeats.every((r) => r.count === 1)).toBe(true);
      expect(run.stderr).toContain(`[loopguard] fs.readFileSync blocked the event loop`);
      expect(run.stderr).toContain(`test/fixtures/apps/cjs-app.js:${lineOf(cjs, 'direct')}:`);
      expect(run.stderr).toContain('[loopguard] summary: 6 blocking calls in handlers at 3 sites');
    } finally {
      cleanup(run);
    }
  });
});

describe.each([
  ['-r', ['-r', 'loopguard/register']],
  ['--import', ['--import', 'loopguard/register']],
  ['--import after a preload that imported node:fs first', ['--import', fixture('early-fs.mjs'), '--import', 'loopguard/register']],
])('an ESM app under %s', (_flag, preload) => {
  it('sees wrapped functions through named, default and namespace imports', async () => {
    const run = await runNode([...preload, esm]);
    try {
      expect(run.code).toBe(0);
      const got = run.reports.map((r) => [r.api, r.site?.line]);
      expect(got).toEqual([
        ['fs.readFileSync', lineOf(esm, 'named')],
        ['fs.statSync', lineOf(esm, 'default')],
        ['fs.existsSync', lineOf(esm, 'namespace')],
        ['fs.lstatSync', lineOf(esm, 'after-await')],
      ]);
      expect(run.reports[0]!.site?.file).toBe(esm); // file:// URL turned into a path
    } finally {
      cleanup(run);
    }
  });
});

describe('loading', () => {
  it('is harmless twice (-r and --import together, and install() from code after the preload)', async () => {
    const run = await runNode(['-r', 'loopguard/register', '--import', 'loopguard/register', '-r', 'loopguard/register', '-e', `
      const lg = require('loopguard');
      const again = lg.install();
      const fs = require('fs');
      lg.runInHandler({ event: 'twice' }, () => fs.readFileSync(__filename === '[eval]' ? '/etc/hostname' : __filename));
      console.log(JSON.stringify(again));
    `]);
    try {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ active: true });
      expect(run.reports.map((r) => r.api)).toEqual(['fs.readFileSync']);
      expect(run.stderr).not.toContain('Warning');
    } finally {
      cleanup(run);
    }
  });

  it('works from code without the preload (require + install)', async () => {
    const run = await runNode(['-e', `
      const lg = require('loopguard');
      lg.install({ console: false });
      lg.runInHandler({ source: 'code', event: 'e' }, () => require('fs').statSync('/'));
    `]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toMatchObject([{ api: 'fs.statSync', handler: { source: 'code', event: 'e' } }]);
      expect(run.stderr).toBe('');
    } finally {
      cleanup(run);
    }
  });

  it.each(['now', 'later'])('writes every report before process.exit() (%s) ends the process, to a file only its owner can read', async (when) => {
    const app = fixture('exit-app.js');
    const run = await runNode(['-r', 'loopguard/register', app, when]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports.map((r) => [r.api, r.site?.line, r.count, r.aggregate])).toEqual([
        ['fs.statSync', lineOf(app, 'loop'), 1, false],
        ['fs.readFileSync', lineOf(app, 'read'), 1, false],
        ['fs.statSync', lineOf(app, 'loop'), 4, true],
      ]);
      expect(statSync(`${run.dir}/reports.jsonl`).mode & 0o777).toBe(0o600);
    } finally {
      cleanup(run);
    }
  });

  it('a SIGTERM the app has no handler for: the process dies by it (loopguard handles no signal); the report made before is on disk, although libuv\'s thread pool is busy', async () => {
    const app = fixture('signal-app.js');
    const run = await runNode(['-r', 'loopguard/register', app]);
    try {
      expect([run.code, run.signal]).toEqual([null, 'SIGTERM']);
      expect(run.reports.map((r) => [r.api, r.handler?.event, r.site?.line])).toEqual([['fs.statSync', 'before-signal', lineOf(app, 'stat')]]);
      expect(run.stderr).toContain(`fs.statSync blocked the event loop for`);
      // Node ends a process killed by a signal without an 'exit' event: no summary, as without loopguard.
      expect(run.stderr).not.toContain('[loopguard] summary');
    } finally {
      cleanup(run);
    }
  });

  it('a SIGTERM the app handles: loopguard leaves it to the app, and writes its reports when the app exits', async () => {
    const app = fixture('signal-app.js');
    const run = await runNode(['-r', 'loopguard/register', app, 'own']);
    try {
      expect([run.code, run.signal]).toEqual([3, null]);
      expect(run.stdout).toBe('the app handles SIGTERM\n');
      expect(run.reports.map((r) => r.api)).toEqual(['fs.statSync']);
    } finally {
      cleanup(run);
    }
  });

  it.each([['CommonJS', cjs], ['ES module', esm]])('%%t in a report path names only the app\'s threads, never loopguard\'s own or Node\'s loader thread (%s app, preload in NODE_OPTIONS)', async (_kind, app) => {
    const run = await runNode([app], { NODE_OPTIONS: `-r ${root}/dist/register.js`, LOOPGUARD_REPORT_FILE: '$DIR/reports-%p-%t.jsonl', LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      const files = readdirSync(run.dir).filter((f) => f.startsWith('reports-'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^reports-\d+-0\.jsonl$/);
    } finally {
      cleanup(run);
    }
  });

  it('the files a process reads for loopguard are ASCII: V8 keeps them one byte per character (a two-byte bundle takes longer to read and parse at every start)', () => {
    const dist = `${root}/dist`;
    const read = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(read).toEqual(expect.arrayContaining(['register.js', 'loopguard.js', 'loopguard-reporting.js', 'loopguard-otel.js', 'thread/entry.js']));
    for (const file of read) {
      const text = readFileSync(`${dist}/${file}`, 'utf8');
      expect([file, text.search(/[^\x00-\x7f]/)]).toEqual([file, -1]);
    }
  });

  it('the bundles hold package.json\'s version, not the rest of it (made at every start for one string)', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
    const bundle = readFileSync(`${root}/dist/loopguard.js`, 'utf8');
    expect(bundle).toContain(`{ version: ${JSON.stringify(pkg.version)} }`);
    expect(bundle).not.toContain('devDependencies');
    expect((require(`${root}/dist/loopguard.js`) as { modules: Record<string, () => { version: string }> }).modules['src/core/version.ts']?.().version).toBe(pkg.version);
  });

  it('LOOPGUARD_MODE=off wraps nothing', async () => {
    const run = await runNode(['-r', 'loopguard/register', cjs], { LOOPGUARD_MODE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toEqual([]);
      expect(run.stderr).toBe('');
    } finally {
      cleanup(run);
    }
  });
});

describe('strict mode in a real process', () => {
  it('throws BlockingCallError before the write, naming the call, the handler, the line and the fix', async () => {
    const app = fixture('strict-app.js');
    const run = await runNode(['-r', 'loopguard/register', app, '$DIR'], { LOOPGUARD_MODE: 'strict', LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      const [caught, after] = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(caught).toMatchObject({ name: 'BlockingCallError', code: 'ERR_LOOPGUARD_BLOCKING_CALL', api: 'fs.writeFileSync', exists: false });
      expect(caught.message).toContain('fs.writeFileSync would block the event loop in handler "save" (fixture)');
      expect(caught.message).toContain(`${app}:${lineOf(app, 'write')}:`);
      expect(caught.message).toContain('fs.promises.writeFile');
      expect(caught.message).toContain('https://');
      expect(after).toEqual({ after: true, exists: false });
      expect(run.reports).toMatchObject([{ api: 'fs.writeFileSync', outcome: 'thrown' }]);
    } finally {
      cleanup(run);
    }
  });
});

describe('module loads', () => {
  it('reports the app\'s own lazy require once, as module-load, and stays quiet for a dependency\'s', async () => {
    const app = fixture('lazy-app.js');
    const run = await runNode(['-r', 'loopguard/register', app]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toMatchObject([
        { api: 'require', kind: 'module-load', module: './lazy-module', site: { file: app, line: lineOf(app, 'lazy') } },
      ]);
      expect(run.reports).toHaveLength(1);
    } finally {
      cleanup(run);
    }
  });

  it('reports dependencies\' lazy loads too with LOOPGUARD_MODULE_LOADS=all, and none with off', async () => {
    const app = fixture('lazy-app.js');
    const all = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_MODULE_LOADS: 'all' });
    const off = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_MODULE_LOADS: 'off' });
    try {
      expect(all.reports.map((r) => r.module)).toEqual(['./lazy-module', './later']);
      expect(all.reports[1]).toMatchObject({ kind: 'module-load', via: 'lazy-dep' });
      expect(off.reports).toEqual([]);
    } finally {
      cleanup(all);
      cleanup(off);
    }
  });

  it('does not throw for a lazy load in strict mode unless LOOPGUARD_STRICT_MODULE_LOADS is on', async () => {
    const app = fixture('lazy-app.js');
    const lenient = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_MODE: 'strict' });
    const strict = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_MODE: 'strict', LOOPGUARD_STRICT_MODULE_LOADS: '1' });
    try {
      expect(lenient.code).toBe(0);
      expect(lenient.stdout).toContain('lazy done');
      expect(lenient.reports).toMatchObject([{ api: 'require', outcome: 'ran' }]);
      expect(strict.code).not.toBe(0);
      expect(strict.stderr).toContain('BlockingCallError: require("./lazy-module") would block the event loop');
      expect(strict.reports).toMatchObject([{ api: 'require', outcome: 'thrown', module: './lazy-module' }]);
    } finally {
      cleanup(lenient);
      cleanup(strict);
    }
  });
});

describe('logging', () => {
  it('console.log to a file inside a handler is not a blocking call, even in strict mode', async () => {
    const run = await runNode(['-e', '0']);
    const out = `${run.dir}/stdout.txt`;
    const fd = openSync(out, 'w');
    try {
      const child = spawnSync(process.execPath, ['-r', 'loopguard/register', '-e', `
        require('loopguard').runInHandler({ event: 'log' }, () => { console.log('logged'); console.error('also'); });
      `], { cwd: root, stdio: ['ignore', fd, 'pipe'], env: { ...process.env, LOOPGUARD_MODE: 'strict' }, encoding: 'utf8' });
      expect(child.status).toBe(0);
      expect(child.stderr).toBe('also\n');
      expect(readFileSync(out, 'utf8')).toBe('logged\n');
    } finally {
      closeSync(fd);
      cleanup(run);
    }
  });
});

describe('node:sqlite', () => {
  it.runIf(isBuiltin('node:sqlite'))('is guarded in an ESM app that imports it, without an extra warning', async () => {
    const app = fixture('sqlite-app.mjs');
    const run = await runNode(['--import', 'loopguard/register', app]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports.map((r) => [r.api, r.site?.line])).toEqual([
        ['sqlite.DatabaseSync#prepare', lineOf(app, 'query')],
        ['sqlite.StatementSync#get', lineOf(app, 'query')],
      ]);
      expect((run.stderr.match(/ExperimentalWarning/g) ?? []).length).toBeLessThanOrEqual(1);
    } finally {
      cleanup(run);
    }
  });
});
