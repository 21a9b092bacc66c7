import { spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaults, settingsFromOptions } from '../../src/config/settings';
import { moduleChannels } from '../../src/core/modules';
import { runHandled } from '../../src/handlers/lifecycle';
import { Runtime } from '../../src/runtime/runtime';
import { OtlpReceiver } from '../support/otlp-receiver';
import { cleanup, root, runNode } from '../support/run-node';

/*
 * Reporting (the dispatcher, the sinks, loopguard's thread, the watchdog) starts when it is first
 * needed, not at install. Each test here fails if it starts later than that: what came first would
 * be lost. (That a process with nothing to report never loads it: startup.test.ts.)
 */

const quiet = settingsFromOptions({ console: false, otel: 'off' }, defaults);
let runtime: Runtime | undefined;
afterEach(() => {
  runtime?.uninstall();
  runtime = undefined;
});

/**
 * Installed as in a CommonJS app: vitest's own entry is an ES module, for which Node 20 says at
 * install that the ES module builds of some packages are not hooked, and a warning starts reporting.
 */
function installed(settings = quiet): Runtime {
  const entry = process.argv[1];
  process.argv[1] = resolve(__dirname, '../fixtures/apps/cjs-app.js');
  try {
    runtime = new Runtime();
    runtime.install(settings);
  } finally {
    process.argv[1] = entry;
  }
  return runtime;
}

describe('reporting', () => {
  it('is not started at install; the first handler starts it before the handler runs', () => {
    const r = installed();
    expect(r.bus.occurrences.items).toHaveLength(0);
    const inside: number[] = [];
    runHandled(r.handlerObservers(), { source: 'test', event: 'first' }, () => inside.push(r.bus.occurrences.items.length));
    expect(inside[0]).toBeGreaterThan(0);
  });

  it('starts for a failure told before it: the failure is counted and said', () => {
    const r = installed();
    expect(r.bus.occurrences.items).toHaveLength(0);
    const said: unknown[] = [];
    const listener = (text: unknown): void => {
      said.push(text);
    };
    subscribe('loopguard:warning', listener);
    try {
      r.bus.fail(new Error('boom'), 'testing');
    } finally {
      unsubscribe('loopguard:warning', listener);
    }
    expect(r.summary().internalErrors).toBe(1);
    expect(said.join('\n')).toContain('boom');
  });

  it('starts for the app\'s own sink and summary, also before install', () => {
    runtime = new Runtime();
    const reports: unknown[] = [];
    runtime.addSink({ name: 'mine', write: (report) => reports.push(report) });
    expect(runtime.bus.occurrences.items.length).toBeGreaterThan(0);
    expect(runtime.summary().calls).toBe(0);
  });
});

describe('a handled event', () => {
  // Where Node says when imports settle; elsewhere a look for builtins an ES module imported stays (install.ts).
  it.runIf(moduleChannels)('has no observer to call once the first 1,024 started, with the OpenTelemetry setting on and no SDK, and no import() unsettled', () => {
    const r = installed(settingsFromOptions({ console: false }, defaults));
    for (let i = 0; i < 1023; i++) runHandled(r.handlerObservers(), { source: 'test', event: 'e' }, () => undefined);
    expect(r.handlerObservers()).toHaveLength(1); // the OpenTelemetry sink, looking for an SDK
    runHandled(r.handlerObservers(), { source: 'test', event: 'e' }, () => undefined);
    expect(r.handlerObservers()).toHaveLength(0);
  });
});

describe('in a preloaded process', () => {
  it('a stall in the handler that starts reporting, after start-up, is caught: the watchdog is armed then, not at the next turn', async () => {
    const spin = "const end = Date.now() + 400; while (Date.now() < end);";
    const run = await runNode(
      ['-r', 'loopguard/register', '-e', `setTimeout(() => require('loopguard').runInHandler({ source: 'test', event: 'first' }, () => { ${spin} }), 50); setTimeout(() => {}, 300)`],
      { LOOPGUARD_REPORT_FILE: '', LOOPGUARD_STALL_MS: '100' },
    );
    try {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/\[loopguard\] the event loop stalled for \d+ ms in handler "first" \(test\)/);
    } finally {
      cleanup(run);
    }
  });
});

describe('in a preloaded process with an OpenTelemetry SDK', () => {
  let receiver: OtlpReceiver;
  afterEach(async () => {
    await receiver.close();
  });

  it('the first handler, which starts reporting, is a span already', async () => {
    receiver = await OtlpReceiver.start();
    const tracing = resolve(__dirname, '../fixtures/otel/tracing.js');
    const run = await runNode(
      ['-r', 'loopguard/register', '-r', tracing, '-e', "require('loopguard').runInHandler({ source: 'test', event: 'first' }, () => {}); setTimeout(() => {}, 600)"],
      { OTLP_ENDPOINT: receiver.url, LOOPGUARD_REPORT_FILE: '' },
    );
    try {
      expect(run.code, run.stderr).toBe(0);
      await receiver.waitFor((r) => r.spans.length > 0);
      expect(receiver.spans.map((s) => s.name)).toEqual(['test first']);
    } finally {
      cleanup(run);
    }
  });
});

describe('when its bundle cannot be loaded (a broken install)', () => {
  it('the app runs as without loopguard: handlers and blocking calls go on, one warning says so, and nothing else is said', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-broken-'));
    try {
      const pkg = join(dir, 'node_modules', 'loopguard');
      cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
      rmSync(join(pkg, 'dist', 'loopguard-reporting.js'));
      const script = "const lg = require('loopguard'); console.log(lg.runInHandler({ source: 'test', event: 'e' }, () => require('fs').statSync('/').isDirectory())); lg.runInHandler({ source: 'test', event: 'f' }, () => 0)";
      const run = spawnSync(process.execPath, ['-r', 'loopguard/register', '-e', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOOPGUARD_REPORT_FILE: '' } });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe('true\n');
      expect(run.stderr).toBe('[loopguard] warning: reporting could not start (MODULE_NOT_FOUND): nothing is reported\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
