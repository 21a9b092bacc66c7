import { describe, expect, it } from 'vitest';
import type { BlockingCallReport, InteractionAckReport } from '../../src/index';
import { shardOf } from '../../src/testing/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf } from '../support/run-node';

/* The real discord.js, in a real process under loopguard, against the gateway emulator. */

const cjs = botFixture('djs-bot.js');
const esm = botFixture('djs-bot.mjs');
const blocking = (reports: { type: string }[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');

describe.each([
  ['CJS bot, -r', cjs, '-r'],
  ['CJS bot, --import', cjs, '--import'],
  ['ESM bot, --import', esm, '--import'],
  ['ESM bot, -r', esm, '-r'],
] as const)('%s', (_name, script, preload) => {
  it('reports a blocking call in messageCreate with the event, dispatch, shard, ids and line — and nothing from start-up or discord.js', async () => {
    const { emulator, stop } = await startBot(script, { preload });
    const sent = emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    emulator.sendMessage('!ping');
    await emulator.waitForMessages(2);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      type: 'blocking-call',
      api: 'fs.readFileSync',
      handler: {
        source: 'discord.js', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0,
        guildId: sent['guild_id'], channelId: sent['channel_id'], messageId: sent['id'],
      },
      site: { file: script, line: lineOf(script, 'read') },
    });
    expect(JSON.stringify(reports)).not.toContain('!read'); // never message content
  });
});

describe('discord.js handlers', () => {
  it('follow the handler after await and into timers; a dependency\'s blocking is reported at the bot\'s line', async () => {
    const { emulator, stop } = await startBot(cjs);
    emulator.sendMessage('!later');
    await emulator.waitForMessages(1);
    emulator.sendMessage('!dep');
    await emulator.waitForMessages(2);
    const { reports } = await stop();
    const got = blocking(reports).map((r) => [r.api, r.site?.line, r.handler?.event, r.via]);
    expect(got.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['fs.statSync', lineOf(cjs, 'after-await'), 'messageCreate', undefined],
      ['fs.existsSync', lineOf(cjs, 'timer'), 'messageCreate', undefined],
      ['fs.readFileSync', lineOf(cjs, 'dep'), 'messageCreate', 'sync-dep'],
    ]);
  });

  it('follows the handler into a message collector\'s listeners', async () => {
    const { emulator, stop } = await startBot(cjs);
    emulator.sendMessage('!collect');
    await emulator.waitForMessages(1);
    emulator.sendMessage('yes');
    await emulator.waitForMessages(2);
    const { reports } = await stop();
    expect(blocking(reports).map((r) => [r.api, r.site?.line, r.handler?.event])).toEqual([
      ['fs.statSync', lineOf(cjs, 'collect'), 'messageCreate'],
    ]);
  });

  it('reports an interaction acknowledged after the 3 s deadline because of a blocking call', async () => {
    const { emulator, stop } = await startBot(cjs);
    const ack = await emulator.sendCommand('slow').acknowledged;
    expect(ack.late).toBe(true);
    const { reports } = await stop();
    const late = reports.find((r): r is InteractionAckReport => r.type === 'interaction-ack');
    expect(late).toMatchObject({
      api: 'interaction.reply', outcome: 'late', deadlineMs: 3000,
      site: { file: cjs, line: lineOf(cjs, 'slow-ack') },
      handler: { event: 'interactionCreate', dispatch: 'INTERACTION_CREATE', commandName: 'slow' },
      blockers: [{ api: 'Atomics.wait', site: { line: lineOf(cjs, 'slow') } }],
    });
    expect(late!.ackDelayMs).toBeGreaterThan(3000);
    expect(late!.durationMs).toBeGreaterThanOrEqual(3000);
  });

  it('reports an acknowledgement delayed (in time) by 100 ms of blocking or more; none for a clean command or a read of a file', async () => {
    const { emulator, stop } = await startBot(cjs);
    expect((await emulator.sendCommand('hash').acknowledged).late).toBe(false);
    expect((await emulator.sendCommand('quick').acknowledged).late).toBe(false);
    expect((await emulator.sendCommand('lookup').acknowledged).late).toBe(false);
    await emulator.waitForMessages(3);
    const { reports } = await stop();
    const acks = reports.filter((r) => r.type === 'interaction-ack');
    expect(acks).toMatchObject([{ api: 'interaction.deferReply', outcome: 'delayed', site: { line: lineOf(cjs, 'hash-ack') } }]);
    expect(blocking(reports).map((r) => [r.api, r.site?.line])).toEqual([
      ['crypto.pbkdf2Sync', lineOf(cjs, 'hash')], ['fs.readFileSync', lineOf(cjs, 'lookup')],
    ]);
  });

  it('LOOPGUARD_ACK_BLOCKED_MS=0: any blocking before an acknowledgement makes it delayed', async () => {
    const { emulator, stop } = await startBot(cjs, { env: { LOOPGUARD_ACK_BLOCKED_MS: '0' } });
    expect((await emulator.sendCommand('lookup').acknowledged).late).toBe(false);
    expect((await emulator.sendCommand('quick').acknowledged).late).toBe(false);
    await emulator.waitForMessages(2);
    const { reports } = await stop();
    expect(reports.filter((r) => r.type === 'interaction-ack')).toMatchObject([{
      api: 'interaction.reply', outcome: 'delayed', site: { line: lineOf(cjs, 'lookup-ack') },
      blockers: [{ api: 'fs.readFileSync', site: { line: lineOf(cjs, 'lookup') } }],
    }]);
  });

  it('strict mode stops the call inside the handler; the bot keeps running and answers the next event', async () => {
    const { emulator, bot, stop } = await startBot(cjs, { env: { LOOPGUARD_MODE: 'strict' } });
    emulator.sendMessage('!read');
    emulator.sendMessage('!ping');
    const [reply] = await emulator.waitForMessages(1);
    expect(reply!['content']).toBe('pong');
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(reports).toMatchObject([{ api: 'fs.readFileSync', outcome: 'thrown', site: { line: lineOf(cjs, 'read') } }]);
    expect(bot.stderr).not.toContain('BlockingCallError'); // contained, not a crash
  });

  it('LOOPGUARD_INTEGRATIONS=off leaves discord.js alone: its events are not handlers', async () => {
    const { emulator, stop } = await startBot(cjs, { env: { LOOPGUARD_INTEGRATIONS: 'off' } });
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(reports).toEqual([]);
  });

  it('carries the shard id with several shards', async () => {
    const { emulator, stop } = await startBot(cjs, { emulator: { shards: 2, guilds: 6, maxConcurrency: 2 } });
    const onShard1 = emulator.guilds.find((g) => shardOf(g.id, 2) === 1)!;
    emulator.sendMessage('!read', { channel: onShard1.channels[0] });
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(reports).toMatchObject([{ api: 'fs.readFileSync', handler: { shard: 1, guildId: onShard1.id } }]);
  });
});

describe('the REST calls of a start-up and of handlers (the emulator\'s routes, with the real discord.js)', () => {
  it('application, commands (global and guild, as Sapphire\'s registry makes them), member, roles, channel, guild, user; edits, deletes, follow-ups', async () => {
    const script = botFixture('startup-bot.js');
    const { emulator, bot, stop } = await startBot(script); // stop() fails the test on any unknown route
    const step = (name: string) => JSON.parse(new RegExp(`^step ${name} (.*)$`, 'm').exec(bot.stdout)?.[1] ?? 'null');
    const guild = emulator.guilds[0]!;
    expect(step('application')).toEqual({ id: emulator.application.id, owner: emulator.member.id });
    expect(step('fetched')).toEqual([0, 0]);
    const points = emulator.applicationCommands(guild.id).find((c) => c.name === 'points')!;
    expect(step('commands')).toEqual({
      ping: emulator.applicationCommands()[0]!.id, points: points.id, edited: 'Your points',
      set: [['points', points.id, guild.id], ['top', expect.any(String), guild.id]],
    });
    expect(step('fetches')).toEqual({ member: emulator.bot.id, roles: 1, channel: 'general', guild: guild.name, owner: 'alice' });

    emulator.sendMessage('!edit');
    await bot.waitForOutput(/^step edit /m);
    expect(step('edit')).toEqual({ content: 'final', edited: true });
    const { interaction } = emulator.sendCommand('points');
    expect(interaction.data.id).toBe(points.id);
    await bot.waitForOutput(/^step interaction /m);
    expect(step('interaction')).toEqual({ reply: 'working', followUp: 'note.txt' });
    await emulator.waitForMessages(4);
    expect(emulator.sentMessages.map((m) => m.content).sort()).toEqual(['done', 'edited and deleted', 'final', 'follow-up, edited']);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(reports).toEqual([]);
  });
});
