import { describe, expect, it } from 'vitest';
import { inThreadEsmHooks } from '../support/esm-hooks';
import type { BlockingCallReport } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf } from '../support/run-node';

/*
 * The blocking libraries bots use (better-sqlite3, quick.db, bcrypt, bcryptjs, @napi-rs/canvas,
 * sync-fetch, enmap, lowdb), installed for real, in a real discord.js bot against the emulator.
 * Each bot makes the same calls at start-up, which must not be reported.
 */

const cjs = botFixture('libs-bot.js');
const esm = botFixture('libs-bot.mjs');
const blocking = (reports: { type: string }[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');
const byLine = (a: BlockingCallReport, b: BlockingCallReport) => (a.site?.line ?? 0) - (b.site?.line ?? 0) || a.api.localeCompare(b.api);

describe('CommonJS bot', () => {
  it('reports each library call in a handler with the library, the bot\'s line and the hint; nothing from start-up', async () => {
    const { emulator, stop } = await startBot(cjs);
    for (const [i, command] of ['!xp', '!login', '!card', '!fetch'].entries()) {
      emulator.sendMessage(command);
      await emulator.waitForMessages(i + 1);
    }
    const { reports, code } = await stop();
    expect(code).toBe(0);
    const got = blocking(reports).filter((r) => !r.aggregate).sort(byLine);
    expect(got.map((r) => [r.api, r.site?.file, r.site?.line, r.via, r.handler?.event])).toEqual([
      ['better-sqlite3.Database#prepare', cjs, lineOf(cjs, 'sql'), undefined, 'messageCreate'],
      ['better-sqlite3.Statement#run', cjs, lineOf(cjs, 'sql'), undefined, 'messageCreate'],
      ['bcrypt.compareSync', cjs, lineOf(cjs, 'bcrypt-native'), undefined, 'messageCreate'],
      ['bcryptjs.compareSync', cjs, lineOf(cjs, 'bcryptjs'), undefined, 'messageCreate'],
      ['@napi-rs/canvas.Canvas#toBuffer', cjs, lineOf(cjs, 'card'), undefined, 'messageCreate'],
      ['sync-fetch', cjs, lineOf(cjs, 'fetch'), 'sync-fetch → child_process.execFileSync', 'messageCreate'],
    ]);
    const hint = (api: string) => got.find((r) => r.api === api)?.hint;
    expect(hint('better-sqlite3.Statement#run')).toMatch(/worker thread/);
    expect(hint('bcrypt.compareSync')).toBe('bcrypt.compare (runs in libuv\'s thread pool)');
    expect(hint('bcryptjs.compareSync')).toMatch(/still computes on the main thread/);
    expect(hint('@napi-rs/canvas.Canvas#toBuffer')).toMatch(/canvas\.encode/);
    expect(hint('sync-fetch')).toMatch(/fetch\(\)/);
    expect(got.find((r) => r.api === 'sync-fetch')).toMatchObject({ kind: 'http', docs: expect.stringMatching(/#fixing-http$/) });
  });

  it('reports one quick.db call once, at the bot\'s line, via quick.db → better-sqlite3; repeats aggregate there', async () => {
    const { emulator, stop } = await startBot(cjs);
    emulator.sendMessage('!quick');
    await emulator.waitForMessages(1);
    emulator.sendMessage('!quick');
    const [, second] = await emulator.waitForMessages(2);
    expect(second!['content']).toBe('points 2'); // the real database ran both
    const { reports } = await stop();
    expect(blocking(reports)).toMatchObject([
      { api: 'quick.db.QuickDB#add', kind: 'database', via: 'quick.db → better-sqlite3', count: 1, aggregate: false, site: { file: cjs, line: lineOf(cjs, 'quick') } },
      { api: 'quick.db.QuickDB#add', count: 1, aggregate: true, site: { line: lineOf(cjs, 'quick') } },
    ]);
    expect(blocking(reports)[0]!.durationMs).toBeGreaterThan(0);
  });

  it('strict mode stops the quick.db call before its first query: the handler\'s promise rejects, nothing is written', async () => {
    const { emulator, bot, stop } = await startBot(cjs, { env: { LOOPGUARD_MODE: 'strict' } });
    emulator.sendMessage('!quick');
    emulator.sendMessage('!quick');
    emulator.sendMessage('!peek'); // reads through allowBlocking
    const [reply] = await emulator.waitForMessages(1);
    expect(reply!['content']).toBe('points 0');
    const { reports } = await stop();
    expect(blocking(reports).filter((r) => !r.aggregate).map((r) => [r.api, r.outcome, r.site?.line])).toEqual([
      ['quick.db.QuickDB#add', 'thrown', lineOf(cjs, 'quick')],
    ]);
    expect(bot.stderr).not.toContain('BlockingCallError');
  });
});

// enmap (ESM only) and bcryptjs' ESM build are hooked where Node runs module hooks in-thread (22.22.3+, 24.11.1+, 25.1+).
describe.runIf(inThreadEsmHooks)('ESM bot', () => {
  it('reports enmap (ESM only) once per call, bcryptjs\' ESM build, lowdb\'s sync adapter and CommonJS packages imported; nothing from start-up', async () => {
    const { emulator, stop } = await startBot(esm);
    for (const [i, command] of ['!prefix', '!login', '!native', '!count'].entries()) {
      emulator.sendMessage(command);
      await emulator.waitForMessages(i + 1);
    }
    const { reports, code } = await stop();
    expect(code).toBe(0);
    const got = blocking(reports).filter((r) => !r.aggregate).sort(byLine);
    expect(got.map((r) => [r.api, r.site?.file, r.site?.line, r.via])).toEqual([
      ['enmap.Enmap#set', esm, lineOf(esm, 'enmap'), 'enmap → better-sqlite3'],
      ['bcryptjs.compareSync', esm, lineOf(esm, 'bcryptjs'), undefined],
      ['better-sqlite3.Database#prepare', esm, lineOf(esm, 'sql'), undefined],
      ['better-sqlite3.Statement#get', esm, lineOf(esm, 'sql'), undefined],
      ['bcrypt.compareSync', esm, lineOf(esm, 'bcrypt-native'), undefined],
      ['lowdb', esm, lineOf(esm, 'lowdb'), expect.stringMatching(/^lowdb → fs\./)],
    ]);
  });

  it('strict mode stops an enmap call (synchronous) before its first query; the bot answers the next event', async () => {
    const { emulator, bot, stop } = await startBot(esm, { env: { LOOPGUARD_MODE: 'strict' } });
    emulator.sendMessage('!prefix');
    emulator.sendMessage('!ping');
    const [reply] = await emulator.waitForMessages(1);
    expect(reply!['content']).toBe('pong');
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(blocking(reports)).toMatchObject([
      { api: 'enmap.Enmap#set', outcome: 'thrown', via: 'enmap → better-sqlite3', site: { file: esm, line: lineOf(esm, 'enmap') } },
    ]);
    expect(bot.stderr).not.toContain('BlockingCallError');
  });
});
