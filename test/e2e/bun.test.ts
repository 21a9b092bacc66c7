import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockingCallReport, InteractionAckReport, Report } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { cleanup, fixture, lineOf, root, runNode } from '../support/run-node';
import { bunBinary, columnOf } from '../support/tools';

/*
 * loopguard under Bun (`bun --preload loopguard/register`): real Bun processes, a plain app and a
 * discord.js bot against the emulator. --no-install: Bun never fetches a package the tests did not
 * install. What Bun cannot do (the inspector-read stall stacks) is said in one line.
 */

const bun = bunBinary();
const preload = ['--no-install', '--preload', 'loopguard/register'];
const bunWarning = '[loopguard] warning: on Bun, loopguard\'s thread cannot read the main thread\'s stack (no inspector session reaches it): stall reports come without stacks\n';
const blocking = (reports: { type: string }[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');

describe('a plain app under Bun', () => {
  it('follows the handler across await and into timers, at the right lines, in JSON Lines and on the console', async () => {
    const app = fixture('cjs-app.js');
    const run = await runNode([...preload, app], {}, bun);
    try {
      expect(run.code).toBe(0);
      const firsts = run.reports.filter((r) => !r.aggregate);
      expect(firsts.map((r) => [r.api, r.site?.file, r.site?.line, r.handler?.event]).sort()).toEqual([
        ['fs.existsSync', app, lineOf(app, 'after-await'), 'message'],
        ['fs.readFileSync', app, lineOf(app, 'direct'), 'message'],
        ['fs.statSync', app, lineOf(app, 'timer'), 'message'],
      ]);
      const direct = firsts.find((r) => r.api === 'fs.readFileSync')!;
      expect(direct.site?.column).toBe(columnOf(app, lineOf(app, 'direct'), 'readFileSync'));
      expect(direct.stack.split('\n')[0]).toContain(`${app}:${lineOf(app, 'direct')}:`);
      expect(run.reports.filter((r) => r.aggregate).map((r) => r.api).sort()).toEqual(['fs.existsSync', 'fs.readFileSync', 'fs.statSync']);
      expect(run.stderr).toContain(`at test/fixtures/apps/cjs-app.js:${lineOf(app, 'direct')}:`);
      expect(run.stderr).toContain('[loopguard] summary: 6 blocking calls in handlers at 3 sites');
      // The one thing Bun cannot do, said once; nothing else warned.
      expect(run.stderr.match(/\[loopguard\] warning: .*\n/g)).toEqual([bunWarning]);
    } finally {
      cleanup(run);
    }
  });

  it('strict mode throws BlockingCallError before the call, naming the line', async () => {
    const app = fixture('strict-app.js');
    const run = await runNode([...preload, app, '$DIR'], { LOOPGUARD_MODE: 'strict', LOOPGUARD_CONSOLE: 'off' }, bun);
    try {
      expect(run.code).toBe(0);
      const [caught, after] = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(caught).toMatchObject({ name: 'BlockingCallError', code: 'ERR_LOOPGUARD_BLOCKING_CALL', api: 'fs.writeFileSync', exists: false });
      expect(caught.message).toContain(`${app}:${lineOf(app, 'write')}:`);
      expect(after).toEqual({ after: true, exists: false });
      expect(run.reports).toMatchObject([{ api: 'fs.writeFileSync', outcome: 'thrown', site: { file: app, line: lineOf(app, 'write') } }]);
    } finally {
      cleanup(run);
    }
  });

  it('preload from bunfig.toml works as --preload does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-bunfig-'));
    try {
      const app = fixture('cjs-app.js');
      writeFileSync(join(dir, 'bunfig.toml'), `preload = [${JSON.stringify(resolve(root, 'dist/register.js'))}]\n`);
      const reportFile = join(dir, 'reports.jsonl');
      const env: NodeJS.ProcessEnv = { ...process.env, LOOPGUARD_REPORT_FILE: reportFile, LOOPGUARD_CONSOLE: 'off' };
      for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
      const code = await new Promise<number | null>((done) => {
        execFile(bun, ['--no-install', 'run', app], { cwd: dir, env, timeout: 20_000 }, (error) => done(error ? (typeof error.code === 'number' ? error.code : null) : 0));
      });
      expect(code).toBe(0);
      const reports = readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report);
      expect(reports.filter((r) => !r.aggregate).map((r) => r.site?.line).sort()).toEqual(
        [lineOf(app, 'direct'), lineOf(app, 'after-await'), lineOf(app, 'timer')].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a discord.js bot under Bun', () => {
  const bot = botFixture('djs-bot.js');
  const options = (env: NodeJS.ProcessEnv = {}) => ({ node: bun, nodeArgs: [...preload], env: { LOOPGUARD_STALL_MS: '300', ...env } });

  it('reports in the handler with its ids and lines, after await too; a late interaction; a stall without a stack', async () => {
    const { emulator, stop } = await startBot(bot, options());
    const sent = emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    emulator.sendMessage('!later');
    await emulator.waitForMessages(2);
    await new Promise((done) => setTimeout(done, 300)); // the reply resolves, its timer runs
    const ack = await emulator.sendCommand('slow').acknowledged;
    expect(ack.late).toBe(true);
    const { reports, code, stderr } = await stop();
    expect(code).toBe(0);
    const byLine = (a: unknown[], b: unknown[]) => Number(a[1]) - Number(b[1]);
    expect(blocking(reports).filter((r) => !r.aggregate).map((r) => [r.api, r.site?.line, r.handler?.event]).sort(byLine)).toEqual([
      ['fs.readFileSync', lineOf(bot, 'read'), 'messageCreate'],
      ['fs.statSync', lineOf(bot, 'after-await'), 'messageCreate'],
      ['fs.existsSync', lineOf(bot, 'timer'), 'messageCreate'],
      ['Atomics.wait', lineOf(bot, 'slow'), 'interactionCreate'],
    ].sort(byLine));
    expect(blocking(reports).find((r) => r.api === 'fs.readFileSync')).toMatchObject({
      site: { file: bot, line: lineOf(bot, 'read'), column: columnOf(bot, lineOf(bot, 'read'), 'readFileSync') },
      handler: { source: 'discord.js', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0, messageId: sent['id'] },
    });
    expect(reports.find((r): r is InteractionAckReport => r.type === 'interaction-ack')).toMatchObject({
      outcome: 'late', site: { file: bot, line: lineOf(bot, 'slow-ack') }, handler: { commandName: 'slow' },
    });
    // The wait is the wrapped call's own report; the stall watchdog still runs, without stacks.
    expect(stderr).toContain(bunWarning);
  });

  it('strict mode stops the call in the handler, and the bot goes on', async () => {
    const { emulator, stop } = await startBot(bot, options({ LOOPGUARD_MODE: 'strict' }));
    emulator.sendMessage('!read');
    emulator.sendMessage('!ping');
    const replies = await emulator.waitForMessages(1);
    expect(replies.map((m) => m['content'])).toEqual(['pong']);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(blocking(reports)).toMatchObject([{ api: 'fs.readFileSync', outcome: 'thrown', site: { file: bot, line: lineOf(bot, 'read') } }]);
  });

  it('a stall is reported without a stack, saying why', async () => {
    const { emulator, stop } = await startBot(bot, options());
    emulator.sendMessage('!spin');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(reports.find((r) => r.type === 'stall')).toMatchObject({
      type: 'stall', outcome: 'no-stack', stackUnavailable: 'inspector-unavailable', site: null,
    });
  });

  it('runs the TypeScript bot: reports at its .ts line and column', async () => {
    const ts = resolve(botFixture('ts-bot'), 'src/bot.ts');
    const { emulator, stop } = await startBot(ts, options());
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    const line = lineOf(ts, 'read');
    expect(blocking(reports)).toMatchObject([{ api: 'fs.readFileSync', site: { file: ts, line, column: columnOf(ts, line, 'readFileSync') } }]);
  });
});
