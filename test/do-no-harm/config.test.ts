import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, install, track, uninstall } from '../../src/index';
import { LoopguardInstrumentation } from '../../src/otel';
import { cleanup, fixture, runNode } from '../support/run-node';

/*
 * Bad input gets a clear error, at once, naming the setting and what it accepts; a name that is no
 * setting is said; nothing is accepted and then ignored.
 */

afterEach(() => uninstall());

const app = fixture('cjs-app.js');

describe('configuration mistakes', () => {
  it.each([
    [{ LOOPGUARD_INTEGRATIONS: 'discord.js,Discord.js,eris' }, 0, ''],
    [{ LOOPGUARD_INTEGRATIONS: 'discordjs' }, 78, 'loopguard: invalid LOOPGUARD_INTEGRATIONS (integrations) "discordjs": "discordjs" is no integration; accepted: auto, off, or names among discord.js, @discordjs/core, eris, oceanic.js, sapphire, seyfert\n'],
    [{ LOOPGUARD_STALL_MS: '1e10' }, 78, 'loopguard: invalid LOOPGUARD_STALL_MS "1e10"; accepted: a number of milliseconds from 50 to 3600000, or off\n'],
    [{ LOOPGUARD_THRESHOLD_MS: 'Infinity' }, 78, 'loopguard: invalid LOOPGUARD_THRESHOLD_MS "Infinity"; accepted: a number of milliseconds from 0 to 3600000\n'],
    [{ LOOPGUARD_MODE: 'off', LOOPGUARD_SCOPE: 'everything' }, 78, 'loopguard: invalid LOOPGUARD_SCOPE "everything"; accepted: handlers, all\n'],
    [{ LOOPGUARD_MODE: 'off', LOOPGUARD_REPORT_FILE: '/nonexistent-dir/r.jsonl' }, 78, 'loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) "/nonexistent-dir/r.jsonl": cannot open it for writing (ENOENT); accepted: a writable regular file\'s path\n'],
  ])('%j: exit %i', async (env, code, stderr) => {
    const run = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_CONSOLE: 'off', ...env });
    try {
      expect([run.code, run.stderr]).toEqual([code, stderr]);
    } finally {
      cleanup(run);
    }
  });

  it('a LOOPGUARD_ variable that is no setting is said once, with the closest name (the app runs)', async () => {
    const run = await runNode(['-r', 'loopguard/register', app], { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_ALLOW_APIS: 'fs.statSync', LOOPGUARD_COLOURFUL_OUTPUT: '1' });
    try {
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('[loopguard] warning: LOOPGUARD_ALLOW_APIS is not a setting of loopguard (ignored); did you mean LOOPGUARD_ALLOW?\n');
      expect(run.stderr).toContain('[loopguard] warning: LOOPGUARD_COLOURFUL_OUTPUT is not a setting of loopguard (ignored)\n');
    } finally {
      cleanup(run);
    }
  });

  it('its warnings reach stderr under --no-warnings', async () => {
    const run = await runNode(['--no-warnings', '-r', 'loopguard/register', app], { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_ALOW: 'x' });
    try {
      expect(run.stderr).toContain('[loopguard] warning: LOOPGUARD_ALOW is not a setting of loopguard (ignored); did you mean LOOPGUARD_ALLOW?');
    } finally {
      cleanup(run);
    }
  });

  it('-r loopguard (without /register) works as the preload', async () => {
    const run = await runNode(['-r', 'loopguard', app]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports.map((r) => r.api)).toContain('fs.readFileSync');
    } finally {
      cleanup(run);
    }
  });

  it('options from code that are not an object, or of the wrong type, are a ConfigError naming them', () => {
    expect(() => install(null as never)).toThrow(/invalid options null; accepted: an object of options \(mode, scope/);
    expect(() => install(42 as never)).toThrow(ConfigError);
    expect(() => install({ env: false, stallMs: 10 })).toThrow(/invalid option stallMs 10; accepted: a number of milliseconds from 50 to 3600000, or off/);
    expect(() => track({ emit: () => true }, { events: 'job' as never })).toThrow(/invalid track\(\) option events "job"; accepted: an array of event names/);
    expect(() => new LoopguardInstrumentation({ mode: 'loud' as never, enabled: false })).toThrow(/invalid option mode "loud"/);
  });
});
