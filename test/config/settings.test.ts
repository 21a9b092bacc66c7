import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaults, settings, settingsFromEnv, settingsFromOptions } from '../../src/config/settings';
import { cleanup, fixture, runNode } from '../support/run-node';

/* Table-driven over the settings table: what each variable accepts and how it refuses. */

const valid: Record<string, [string, unknown][]> = {
  LOOPGUARD_MODE: [['strict', 'strict'], ['REPORT', 'report'], ['off', 'off']],
  LOOPGUARD_SCOPE: [['all', 'all'], ['handlers', 'handlers']],
  LOOPGUARD_THRESHOLD_MS: [['0', 0], ['12.5', 12.5]],
  LOOPGUARD_REPORT_FILE: [['/tmp/x-%p.jsonl', '/tmp/x-%p.jsonl']],
  LOOPGUARD_CONSOLE: [['off', false], ['1', true]],
  LOOPGUARD_ALLOW: [['fs.existsSync, zlib.*', ['fs.existsSync', 'zlib.*']]],
  LOOPGUARD_ALLOW_SITES: [['**/node_modules/sharp/**,src/db/*', ['**/node_modules/sharp/**', 'src/db/*']]],
  LOOPGUARD_MODULE_LOADS: [['all', 'all'], ['off', 'off']],
  LOOPGUARD_STRICT_MODULE_LOADS: [['true', true], ['no', false]],
  LOOPGUARD_STDIO: [['on', true]],
  LOOPGUARD_INTEGRATIONS: [['off', 'off'], ['AUTO', 'auto'], ['discord.js', ['discord.js']]],
  LOOPGUARD_SAMPLE_ABOVE: [['100', 100], ['off', Infinity]],
  LOOPGUARD_REPORT_ARGS: [['1', true], ['off', false]],
  LOOPGUARD_OTEL: [['on', 'on'], ['OFF', 'off'], ['auto', 'auto']],
  LOOPGUARD_STALL_MS: [['250', 250], [' 2000 ', 2000], ['off', Infinity], ['OFF', Infinity]],
  LOOPGUARD_ACK_BLOCKED_MS: [['0', 0], ['250', 250], ['3000', 3000]],
  LOOPGUARD_CODE_CACHE: [['off', 'off'], ['ON', 'on'], [' /var/cache/bot ', '/var/cache/bot']],
};
const invalid: Record<string, string> = {
  LOOPGUARD_MODE: 'loud',
  LOOPGUARD_SCOPE: 'everything',
  LOOPGUARD_THRESHOLD_MS: '-5',
  LOOPGUARD_CONSOLE: 'maybe',
  LOOPGUARD_MODULE_LOADS: 'some',
  LOOPGUARD_STRICT_MODULE_LOADS: '2',
  LOOPGUARD_STDIO: 'yes please',
  LOOPGUARD_SAMPLE_ABOVE: '0.5',
  LOOPGUARD_OTEL: 'jaeger',
  LOOPGUARD_STALL_MS: '10',
  LOOPGUARD_ACK_BLOCKED_MS: '3001',
  LOOPGUARD_CODE_CACHE: 'cache/loopguard',
};

describe.each(settings.map((s) => [s.env, s] as const))('%s', (env, s) => {
  it.each(valid[env] ?? [])('accepts %j', (raw, expected) => {
    expect(settingsFromEnv({ [env]: raw })[s.key]).toEqual(expected);
  });
  it('keeps the default when unset or empty', () => {
    expect(settingsFromEnv({ [env]: '' })[s.key]).toEqual(defaults[s.key]);
  });
});

describe.each(Object.entries(invalid))('%s refuses %j', (env, bad) => {
  it('in one line naming the variable and the accepted values', () => {
    const s = settings.find((x) => x.env === env)!;
    let error: unknown;
    try {
      settingsFromEnv({ [env]: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(env);
    expect(message).toContain(s.accepted);
  });
});

it('every setting has test values (so a new setting cannot go untested)', () => {
  expect(settings.map((s) => s.env).filter((e) => valid[e] === undefined)).toEqual([]);
});

describe('options from code', () => {
  it('are validated like the environment', () => {
    expect(settingsFromOptions({ mode: 'strict', thresholdMs: 5 })).toMatchObject({ mode: 'strict', thresholdMs: 5 });
    expect(() => settingsFromOptions({ mode: 'loud' as 'report' })).toThrow(/invalid option mode "loud"; accepted: report, strict, off/);
    expect(() => settingsFromOptions({ thresholdMs: -1 })).toThrow(ConfigError);
    expect(() => settingsFromOptions({ colour: true } as never)).toThrow(/invalid option "colour"; accepted: mode, scope/);
    expect(() => settingsFromOptions({ colour: true } as never)).not.toThrow(/codeCache/);
  });

  it('refuses a setting that only the environment can give, saying where it goes', () => {
    expect(() => settingsFromOptions({ codeCache: 'off' } as never)).toThrow('loopguard: invalid option codeCache "off"; accepted: none in code; set LOOPGUARD_CODE_CACHE before the process starts');
    // The settings given back as they are (a test's guard restoring them) are no attempt to set it.
    expect(settingsFromOptions({ ...defaults, mode: 'strict' })).toEqual({ ...defaults, mode: 'strict' });
  });
});

describe('a bad environment stops the process at start, before the app runs', () => {
  it.each([
    [{ LOOPGUARD_MODE: 'loud' }, 'loopguard: invalid LOOPGUARD_MODE "loud"; accepted: report, strict, off'],
    [{ LOOPGUARD_THRESHOLD_MS: '-1' }, 'loopguard: invalid LOOPGUARD_THRESHOLD_MS "-1"; accepted: a number of milliseconds from 0 to 3600000'],
    [{ LOOPGUARD_REPORT_FILE: '/nonexistent-dir/reports.jsonl' }, 'loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) "/nonexistent-dir/reports.jsonl": cannot open it for writing (ENOENT); accepted: a writable regular file\'s path'],
  ])('%j', async (env, line) => {
    const run = await runNode(['-r', 'loopguard/register', '-e', 'console.log("app ran")'], env);
    try {
      expect(run.code).toBe(78);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`${line}\n`);
    } finally {
      cleanup(run);
    }
  });

  it.each([
    ['a folder', (dir: string) => dir, 'it is a folder (not a regular file)'],
    ['a device', () => '/dev/full', 'it is a device (not a regular file)'],
    ['a FIFO without a reader (the open must not hang)', (dir: string) => {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      return join(dir, 'fifo');
    }, 'it is a FIFO (not a regular file)'],
    ['a symbolic link (planted where the report file goes)', (dir: string) => {
      writeFileSync(join(dir, 'target'), '');
      symlinkSync(join(dir, 'target'), join(dir, 'link'));
      return join(dir, 'link');
    }, 'it is a symbolic link (not followed)'],
  ])('a report file path that is %s is refused', async (_what, make, why) => {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-dir-'));
    const path = make(dir);
    const run = await runNode(['-r', 'loopguard/register', fixture('cjs-app.js')], { LOOPGUARD_REPORT_FILE: path });
    try {
      expect(run.code).toBe(78);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) "${path}": ${why}; accepted: a writable regular file's path\n`);
      if (path.endsWith('link')) expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('');
    } finally {
      cleanup(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a report file others can write to is used, with one warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-dir-'));
    const path = join(dir, 'reports.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o666);
    const run = await runNode(['-r', 'loopguard/register', fixture('cjs-app.js')], { LOOPGUARD_REPORT_FILE: path, LOOPGUARD_CONSOLE: 'off' });
    try {
      expect(run.code).toBe(0);
      expect(readFileSync(path, 'utf8')).not.toBe('');
      expect(run.stderr).toBe(`[loopguard] warning: the report file ${path}: others can write to it (mode 666): anyone who can write it can forge reports\n`);
    } finally {
      cleanup(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
