import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, root, runNode } from '../support/run-node';

/* loopguard together with other tools that patch or copy fs, in real processes. */

const app = fixture('patchers-app.js');
// mock-fs itself fails on some Node versions (it patches fs internals), with or without loopguard.
const mockFsWorks = spawnSync(process.execPath, [app, 'mock-fs'], { cwd: root, env: { ...process.env, LOOPGUARD_MODE: 'off' } }).status === 0;

describe('living with other fs patchers', () => {
  it('graceful-fs loaded after loopguard: its calls are guarded', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'graceful-fs-after'], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toMatchObject([{ api: 'fs.readFileSync', site: { file: app, line: lineOf(app, 'graceful') } }]);
      expect(run.stderr).toBe('');
    } finally {
      cleanup(run);
    }
  });

  it('graceful-fs loaded before loopguard: said once, plainly, and nothing breaks', async () => {
    const run = await runNode([app, 'graceful-fs-first'], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(run.stderr.match(/graceful-fs was loaded before loopguard/g)).toHaveLength(1);
      expect(run.stderr).toContain('load loopguard first (node -r loopguard/register)');
    } finally {
      cleanup(run);
    }
  });

  it('fs-extra: a sync helper is reported at the user\'s line, via the package that blocked', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'fs-extra'], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toHaveLength(1);
      expect(run.reports[0]).toMatchObject({ api: 'fs.readFileSync', site: { line: lineOf(app, 'fs-extra') } });
      expect(['jsonfile', 'fs-extra', 'graceful-fs']).toContain(run.reports[0]!.via);
    } finally {
      cleanup(run);
    }
  });

  it.runIf(mockFsWorks)('mock-fs: the wrapped functions call through to the mock, and restore works', async () => {
    const run = await runNode(['-r', 'loopguard/register', app, 'mock-fs'], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ text: '{"prefix":"!"}', realAgain: true });
      expect(run.reports).toMatchObject([{ api: 'fs.readFileSync', site: { line: lineOf(app, 'mock') } }]);
    } finally {
      cleanup(run);
    }
  });
});

describe('faults', () => {
  it('--frozen-intrinsics (loopguard preloaded, frozen after it): the app runs and reports are still made', async () => {
    const run = await runNode(['--frozen-intrinsics', '-r', 'loopguard/register', fixture('cjs-app.js')], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(run.reports.filter((r) => !r.aggregate).map((r) => [r.api, r.site?.line]).sort()).toEqual([
        ['fs.existsSync', lineOf(fixture('cjs-app.js'), 'after-await')],
        ['fs.readFileSync', lineOf(fixture('cjs-app.js'), 'direct')],
        ['fs.statSync', lineOf(fixture('cjs-app.js'), 'timer')],
      ]);
      expect(run.stderr).not.toContain('failed');
    } finally {
      cleanup(run);
    }
  });

  it('--frozen-intrinsics (installed from code, already frozen): what cannot be wrapped is said once', async () => {
    const run = await runNode(['--frozen-intrinsics', '-e', `
      const lg = require('loopguard');
      lg.install({ console: false });
      lg.runInHandler({ event: 'frozen' }, () => require('fs').statSync('/'));
      console.log(JSON.stringify({ atomicsGuarded: Object.prototype.hasOwnProperty.call(Atomics.wait, Symbol.for('loopguard.original')) }));
    `]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports).toMatchObject([{ api: 'fs.statSync', handler: { event: 'frozen' } }]);
      // Where this Node freezes Atomics, its wait cannot be wrapped: that is said, once.
      const { atomicsGuarded } = JSON.parse(run.stdout) as { atomicsGuarded: boolean };
      expect(run.stderr.match(/Atomics\.wait cannot be replaced here/g) ?? []).toHaveLength(atomicsGuarded ? 0 : 1);
    } finally {
      cleanup(run);
    }
  });

  it('a report file deleted while the bot runs is made again; when its folder is gone, one warning says so, the app goes on, and at exit one more says what was not written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-deleted-'));
    const file = join(dir, 'reports.jsonl');
    const run = await runNode(['-r', 'loopguard/register', '-e', `
      const fs = require('fs');
      const path = require('path');
      const { runInHandler } = require('loopguard');
      const file = process.env.LOOPGUARD_REPORT_FILE;
      const tick = () => new Promise((resolve) => setTimeout(resolve, 50));
      const events = () => fs.readFileSync(file, 'utf8').trim().split('\\n').map((l) => JSON.parse(l).handler.event).join(',');
      (async () => {
        runInHandler({ event: 'before' }, () => fs.statSync('/'));
        await tick();
        console.log(events());
        fs.rmSync(file); // a clean-up job, or log rotation without "create"
        runInHandler({ event: 'after-file' }, () => fs.statSync('/'));
        await tick();
        console.log(events());
        fs.rmSync(path.dirname(file), { recursive: true });
        runInHandler({ event: 'after-folder' }, () => fs.statSync('/'));
        await tick();
        console.log('app still running');
      })();
    `], { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_REPORT_FILE: file });
    try {
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('before\nafter-file\napp still running\n');
      // One warning when it fails, one at exit for the line that was never written.
      expect(run.stderr.match(/\[loopguard\] warning:/g)).toHaveLength(2);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} failed (ENOENT): its lines are kept and written when it works again`);
      expect(run.stderr).toContain(`[loopguard] warning: writing ${file} still fails (ENOENT) as loopguard closes it: 1 line was not written`);
    } finally {
      cleanup(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('two copies of loopguard in one tree', () => {
  it('the first guards; the second stays inactive, and its onReport, summary and configure act on the first; one report per call, said once', async () => {
    // Inside this tree, so that the copy finds its own dependencies.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const copyDir = mkdtempSync(join(root, '.tmp', 'copy-'));
    const run = await runNode(['-r', 'loopguard/register', '-e', `
      const fs = require('fs');
      const path = require('path');
      // A second, older copy of the package elsewhere in the tree (a dependency's own loopguard).
      const copy = path.join(process.argv[1], 'node_modules', 'loopguard');
      fs.mkdirSync(copy, { recursive: true });
      fs.cpSync(path.join(process.cwd(), 'dist'), path.join(copy, 'dist'), { recursive: true });
      fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'loopguard', version: '0.0.1', main: 'dist/index.js' }));
      const second = require(copy);
      const result = second.install({ console: false });
      const seen = [];
      second.onReport((r) => seen.push(r.api));
      second.runInHandler({ event: 'from-the-copy' }, () => fs.statSync('/'));
      second.configure({ mode: 'strict' });
      let stopped = false;
      try { second.runInHandler({ event: 'stopped' }, () => fs.statSync('/')); } catch (error) { stopped = error.code === 'ERR_LOOPGUARD_BLOCKING_CALL'; }
      const wrappedOnce = !Object.prototype.hasOwnProperty.call(fs.statSync[Symbol.for('loopguard.original')], Symbol.for('loopguard.original'));
      console.log(JSON.stringify({ result, seen, calls: second.summary().calls, stopped, wrappedOnce }));
    `, copyDir], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ result: { active: false, wrapped: 0 }, seen: ['fs.statSync', 'fs.statSync'], calls: 2, stopped: true, wrappedOnce: true });
      expect(run.reports.map((r) => [r.api, r.handler?.event])).toEqual([['fs.statSync', 'from-the-copy'], ['fs.statSync', 'stopped']]);
      expect(run.stderr.match(/another copy \(0\.1\.0/g)).toHaveLength(1);
    } finally {
      cleanup(run);
      rmSync(copyDir, { recursive: true, force: true });
    }
  });
});

describe('handlers that never settle or throw', () => {
  it('errors reach the emitter\'s caller unchanged, and no handler context outlives its handler', async () => {
    const run = await runNode(['--expose-gc', '-r', 'loopguard/register', fixture('leak-app.js')], { LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ handlers: 2000, alive: 0, thrown: 1000, outside: true, listeners: 2 });
    } finally {
      cleanup(run);
    }
  });
});
