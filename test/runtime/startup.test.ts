import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Module } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, root, runNode } from '../support/run-node';

/*
 * What the preload loads at start-up: what guarding needs, not what only some apps use. Each
 * package left out is start-up time (and memory) every bot would pay for nothing.
 */

const printLoaded = `console.log(JSON.stringify([...new Set(Object.keys(require.cache)
  .filter((k) => k.includes('/node_modules/'))
  .map((k) => k.split('/node_modules/').at(-1).split('/').slice(0, k.split('/node_modules/').at(-1).startsWith('@') ? 2 : 1).join('/')))]))`;

async function loadedPackages(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const run = await runNode([...args, '-e', printLoaded], { LOOPGUARD_REPORT_FILE: '', ...env });
  try {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as string[];
  } finally {
    cleanup(run);
  }
}

/** What `expression` is at the exit of `node args -e script` (JSON), the process having exited 0. */
async function atExit<T>(args: string[], script: string, expression: string, env: Record<string, string> = {}): Promise<T> {
  const run = await runNode([...args, '-e', `${script}; process.on('exit', () => console.log(JSON.stringify(${expression})))`], env);
  try {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  } finally {
    cleanup(run);
  }
}

describe('start-up', () => {
  it('wraps require at the first handler, before it runs, where no hooked ES module package waits for requires (most bots); at install where one does', async () => {
    const app = fixture('require-wrapping.js');
    // A folder of its own: none of the packages whose ES module builds loopguard hooks is there.
    const alone = mkdtempSync(join(tmpdir(), 'loopguard-require-'));
    const register = join(root, 'dist', 'register.js');
    const [lazy, beside] = await Promise.all([runNode(['-r', register, app], {}, process.execPath, alone), runNode(['-r', register, app])]);
    try {
      for (const run of [lazy, beside]) {
        expect(run.code, run.stderr).toBe(0);
        expect(run.reports).toMatchObject([{ api: 'require', kind: 'module-load', module: './lazy-module', site: { file: app, line: lineOf(app, 'load') } }]);
      }
      expect(JSON.parse(lazy.stdout)).toEqual({ atStart: false, afterTurn: false, inHandler: true });
      // Here (this package's folder), enmap and @discordjs/core are installed: a require of one may reach an ES module.
      const listening = typeof (Module as { registerHooks?: unknown }).registerHooks === 'function';
      expect(JSON.parse(beside.stdout)).toEqual({ atStart: listening, afterTurn: listening, inHandler: true });
    } finally {
      cleanup(lazy);
      cleanup(beside);
      rmSync(alone, { recursive: true, force: true });
    }
  });

  it('loads neither @opentelemetry/api (until an SDK registers), nor picomatch (until a glob is set), nor import-in-the-middle (node -e: no ES module app to hook), nor require-in-the-middle (Bun only)', async () => {
    const loaded = await loadedPackages(['-r', 'loopguard/register']);
    expect(loaded).not.toContain('require-in-the-middle');
    expect(loaded).not.toContain('@opentelemetry/api');
    expect(loaded).not.toContain('picomatch');
    expect(loaded).not.toContain('import-in-the-middle');
  });

  it.runIf(process.platform === 'linux')('starts loopguard\'s thread at the first handler, or at the turn of the loop after a line to write: not with reporting (a report file, a bot library\'s load), nor in a process that ends before a turn, also when it writes a warning or a report before', async () => {
    // Without the code cache: writing one (a first start) starts libuv's threads, as any file I/O does.
    const threads = (args: string[], script: string, env: Record<string, string> = {}): Promise<number> => atExit(args, script, "require('fs').readdirSync('/proc/self/task').length", { LOOPGUARD_CODE_CACHE: 'off', ...env });
    const plain = await threads([], '0');
    expect(await threads(['-r', 'loopguard/register'], '0')).toBe(plain);
    // A warning at install (LOOPGUARD_REPORT_ARGS) and a report line, both before the first turn.
    const early = await runNode(['-r', 'loopguard/register', '-e', `require('loopguard').runInHandler({ event: 'e' }, () => require('fs').statSync('/')); console.log(require('fs').readdirSync('/proc/self/task').length)`], { LOOPGUARD_REPORT_ARGS: '1' });
    try {
      expect(early.code, early.stderr).toBe(0);
      expect(Number(early.stdout.trim())).toBe(plain);
      expect(early.stderr).toContain('[loopguard] warning: LOOPGUARD_REPORT_ARGS');
      expect(early.reports.map((r) => r.api)).toEqual(['fs.statSync']);
    } finally {
      cleanup(early);
    }
    // With a report file (runNode's default), reporting starts at install, and a bot library's load
    // starts it at the next turn: neither starts the thread.
    expect(await threads(['-r', 'loopguard/register'], 'setTimeout(() => {}, 50)')).toBe(plain);
    expect(await threads(['-r', 'loopguard/register'], 'require("discord.js"); setTimeout(() => {}, 50)', { LOOPGUARD_REPORT_FILE: '' })).toBe(plain);
    // The first handler after a turn starts it (the watchdog watches that handler), and so does a
    // line to write (a warning), at the next turn.
    const handler = "setTimeout(() => require('loopguard').runInHandler({ event: 'e' }, () => {}), 10); setTimeout(() => {}, 100)";
    expect(await threads(['-r', 'loopguard/register'], handler, { LOOPGUARD_REPORT_FILE: '' })).toBe(plain + 1);
    expect(await threads(['-r', 'loopguard/register'], "setTimeout(() => require('loopguard').configure({ reportArgs: true }), 10); setTimeout(() => {}, 100)", { LOOPGUARD_REPORT_FILE: '' })).toBe(plain + 1);
    // Without a watchdog, a handler with nothing to say starts nothing.
    expect(await threads(['-r', 'loopguard/register'], handler, { LOOPGUARD_REPORT_FILE: '', LOOPGUARD_STALL_MS: 'off' })).toBe(plain);
    // An app's worker thread starts it, with no handler on the main thread (a ShardingManager in
    // worker mode): the worker relays to it what it cannot write itself. The worker lives until
    // the count, on both sides: a worker that ends by itself may or may not be gone by then. The
    // threads are counted before the exit: at the exit loopguard ends its own thread, which may
    // be gone or not by the time a later exit listener counts (a loaded machine: CI, once).
    const worker = "new (require('worker_threads').Worker)('setInterval(() => {}, 1000)', { eval: true }); setTimeout(() => { globalThis.tasks = require('fs').readdirSync('/proc/self/task').length; process.exit(0); }, 300)";
    const workerThreads = (args: string[]): Promise<number> => atExit(args, worker, 'globalThis.tasks', { LOOPGUARD_CODE_CACHE: 'off', LOOPGUARD_REPORT_FILE: '' });
    expect(await workerThreads(['-r', 'loopguard/register'])).toBe(await workerThreads([]) + 1);
  });

  it('loads node:perf_hooks (which the global performance loads too) only once something is timed: not for a process that runs no handler', async () => {
    const loaded = "process.moduleLoadList.includes('NativeModule perf_hooks')";
    expect(await atExit([], '0', loaded)).toBe(false);
    expect(await atExit(['-r', 'loopguard/register'], '0', loaded, { LOOPGUARD_REPORT_FILE: '' })).toBe(false);
    const handlerCall = "require('loopguard').runInHandler({ source: 'test', event: 'tick' }, () => require('fs').statSync('.'))";
    expect(await atExit(['-r', 'loopguard/register'], handlerCall, loaded, { LOOPGUARD_REPORT_FILE: '' })).toBe(true);
  });

  it('loads the API once an SDK is registered, and picomatch with an allow-list', async () => {
    const loaded = await loadedPackages(['-r', 'loopguard/register', '-r', './test/fixtures/otel/tracing.js'], {
      OTLP_ENDPOINT: 'http://127.0.0.1:9', LOOPGUARD_ALLOW_SITES: 'scripts/**',
    });
    expect(loaded).toContain('@opentelemetry/api');
    expect(loaded).toContain('picomatch');
  });

  it('reads reporting (a bundle of its own) only once there is something to report or a bot library loads, and the OpenTelemetry code only once an SDK is registered then, or the app asks for loopguard/otel', async () => {
    const dist = `${root}/dist/`;
    const ownFiles = (args: string[], script: string, env: Record<string, string> = {}): Promise<string[]> =>
      atExit(args, script, `Object.keys(require.cache).filter((k) => k.startsWith(${JSON.stringify(dist)})).map((k) => k.slice(${dist.length})).sort()`, { LOOPGUARD_REPORT_FILE: '', ...env });
    const preload = ['-r', 'loopguard/register'];
    const sdk = [...preload, '-r', './test/fixtures/otel/tracing.js'];
    const otlp = { OTLP_ENDPOINT: 'http://127.0.0.1:9' };
    const handler = "require('loopguard').runInHandler({ source: 'test', event: 'tick' }, () => {})";
    expect(await ownFiles(preload, 'setTimeout(() => {}, 1200)')).toEqual(['boot.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(sdk, 'setTimeout(() => process.exit(0), 1500)', otlp)).toEqual(['boot.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(sdk, `${handler}; setTimeout(() => process.exit(0), 1500)`, otlp))
      .toEqual(['boot.js', 'index.js', 'loopguard-otel.js', 'loopguard-reporting.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(preload, `${handler}; setTimeout(() => {}, 50)`)).toEqual(['boot.js', 'index.js', 'loopguard-reporting.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(preload, '0', { LOOPGUARD_REPORT_FILE: '$DIR/reports.jsonl' })).toEqual(['boot.js', 'loopguard-reporting.js', 'loopguard.js', 'register.js']);
    // A bot library loading (start-up) starts it at the next turn of the loop, so that neither the
    // library's load nor the bot's first event pays for it; a process that ends before has not.
    expect(await ownFiles(preload, "require('discord.js'); setTimeout(() => {}, 50)")).toEqual(['boot.js', 'loopguard-reporting.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(preload, "require('discord.js')")).toEqual(['boot.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(preload, "require('discord.js'); setTimeout(() => {}, 50)", { LOOPGUARD_INTEGRATIONS: 'off' })).toEqual(['boot.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles(preload, '0', { LOOPGUARD_SCOPEX: '1' })).toEqual(['boot.js', 'loopguard-reporting.js', 'loopguard.js', 'register.js']);
    expect(await ownFiles([], "require('loopguard/otel')")).toEqual(['boot.js', 'loopguard-otel.js', 'loopguard.js', 'otel.js']);
  });

  it('keeps V8\'s code of its bundles for the next start, in a folder of this user\'s in the temporary folder; the next start takes it (no rewrite); off, or with source maps, nothing', async () => {
    const folder = (dir: string) => join(dir, `loopguard-code-cache-${process.getuid!()}`);
    const bot = "require('discord.js'); setTimeout(() => console.log('ran'), 100)";
    const run = await runNode(['-r', 'loopguard/register', '-e', bot], { TMPDIR: '$DIR' });
    try {
      expect(run.stdout).toBe('ran\n');
      const files = readdirSync(folder(run.dir)).sort();
      expect(files.map((f) => f.replace(/-v\d.*$/, '')).sort()).toEqual(['loopguard', 'loopguard-reporting']);
      expect(files.every((f) => f.includes(`-${process.version}-${process.arch}-`))).toBe(true);
      expect(statSync(folder(run.dir)).mode & 0o777).toBe(0o700);
      const inodes = files.map((f) => statSync(join(folder(run.dir), f)).ino);
      const again = await runNode(['-r', 'loopguard/register', '-e', bot], { TMPDIR: run.dir });
      expect(again.stdout).toBe('ran\n');
      expect(readdirSync(folder(run.dir)).sort()).toEqual(files);
      expect(files.map((f) => statSync(join(folder(run.dir), f)).ino)).toEqual(inodes);
      cleanup(again);
    } finally {
      cleanup(run);
    }
    for (const [env, args] of [[{ LOOPGUARD_CODE_CACHE: 'off' }, []], [{}, ['--enable-source-maps']]] as const) {
      const none = await runNode([...args, '-r', 'loopguard/register', '-e', bot], { TMPDIR: '$DIR', ...env });
      expect(none.stdout).toBe('ran\n');
      expect(existsSync(folder(none.dir))).toBe(false);
      cleanup(none);
    }
  });
});
