import { describe, expect, it } from 'vitest';
import type { BlockingCallReport, InteractionAckReport, Report } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { inThreadEsmHooks } from '../support/esm-hooks';
import { lineOf } from '../support/run-node';

/*
 * A real Sapphire bot (@sapphire/framework on discord.js) in a real process under loopguard,
 * against the emulator: the handler is the gateway event that started the work, with Sapphire's
 * words for the piece that ran; acknowledgements name their blockers as in plain discord.js.
 */

const bot = botFixture('sapphire-bot.js');
const blocking = (reports: Report[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');
const acks = (reports: Report[]) => reports.filter((r): r is InteractionAckReport => r.type === 'interaction-ack');

describe('Sapphire', () => {
  it('starts with no error logged and no unknown route; its commands are registered', async () => {
    const { emulator, bot: process, stop } = await startBot(bot);
    const guildCommands = emulator.applicationCommands().map((c) => c.name).sort();
    const { reports, stderr, code } = await stop();
    expect(guildCommands).toEqual(['hash', 'slow']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(process.stdout).not.toMatch(/error/i);
    expect(reports).toEqual([]);
  });

  it('a chat-input command: the handler is interactionCreate with its ids, the precondition and the command are named; the delayed acknowledgement names its blocker', async () => {
    const { emulator, stop } = await startBot(bot);
    const { interaction, acknowledged } = emulator.sendCommand('hash');
    expect((await acknowledged).late).toBe(false);
    const { reports } = await stop();
    const handler = {
      source: 'discord.js', event: 'interactionCreate', dispatch: 'INTERACTION_CREATE', shard: 0,
      guildId: interaction.guild_id, channelId: interaction.channel_id, interactionId: interaction.id, commandName: 'hash',
    };
    expect(blocking(reports).map((r) => [r.api, r.site?.line, r.handler])).toEqual([
      ['fs.existsSync', lineOf(bot, 'precondition'), { ...handler, framework: 'sapphire', store: 'preconditions', piece: 'Checked', run: 'chatInputRun' }],
      ['crypto.pbkdf2Sync', lineOf(bot, 'hash'), { ...handler, framework: 'sapphire', store: 'commands', piece: 'hash', run: 'chatInputRun' }],
    ]);
    const [ack] = acks(reports);
    expect(acks(reports)).toHaveLength(1);
    expect(ack).toMatchObject({
      api: 'interaction.reply', outcome: 'delayed', site: { file: bot, line: lineOf(bot, 'hash-ack') },
      handler: { ...handler, framework: 'sapphire', store: 'commands', piece: 'hash', run: 'chatInputRun' },
      blockers: [{ api: 'crypto.pbkdf2Sync', site: { line: lineOf(bot, 'hash') } }, { api: 'fs.existsSync', site: { line: lineOf(bot, 'precondition') } }],
    });
    expect(ack!.durationMs).toBeGreaterThanOrEqual(100);
  });

  it('an acknowledgement made late by a 3.2 s execSync is reported with that blocker and its time', async () => {
    const { emulator, stop } = await startBot(bot);
    expect((await emulator.sendCommand('slow').acknowledged).late).toBe(true);
    const { reports } = await stop();
    const [late] = acks(reports);
    expect(acks(reports)).toHaveLength(1);
    expect(late).toMatchObject({
      api: 'interaction.reply', outcome: 'late', site: { file: bot, line: lineOf(bot, 'slow-ack') },
      handler: { source: 'discord.js', event: 'interactionCreate', commandName: 'slow', framework: 'sapphire', piece: 'slow', run: 'chatInputRun' },
      blockers: [{ api: 'child_process.execSync', site: { line: lineOf(bot, 'slow') } }],
    });
    expect(late!.durationMs).toBeGreaterThanOrEqual(3200);
    expect(late!.ackDelayMs).toBeGreaterThan(3000);
  });

  it('a message command and a listener piece: handler messageCreate with the message\'s ids and the piece', async () => {
    const { emulator, stop } = await startBot(bot);
    const read = emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const audit = emulator.sendMessage('!audit');
    await emulator.waitForMessages(2);
    const { reports } = await stop();
    const handler = (m: typeof read) => ({
      source: 'discord.js', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0,
      guildId: m['guild_id'], channelId: m['channel_id'], messageId: m['id'],
    });
    expect(blocking(reports).map((r) => [r.api, r.site?.line, r.handler])).toEqual([
      ['fs.readFileSync', lineOf(bot, 'read'), { ...handler(read), framework: 'sapphire', store: 'commands', piece: 'read', run: 'messageRun' }],
      ['fs.statSync', lineOf(bot, 'listener'), { ...handler(audit), framework: 'sapphire', store: 'listeners', piece: 'audit', run: 'run' }],
    ]);
  });
});

describe('Sapphire in an ES module bot', () => {
  // Its ESM build is hooked where Node runs module hooks in-thread (22.22.3+, 24.11.1+, 25.1+).
  it.runIf(inThreadEsmHooks)('a chat-input command is a part of interactionCreate, its delayed acknowledgement names the blocker', async () => {
    const script = botFixture('sapphire-bot.mjs');
    const { emulator, stop } = await startBot(script);
    expect((await emulator.sendCommand('hash').acknowledged).late).toBe(false);
    const { reports } = await stop();
    const part = { source: 'discord.js', event: 'interactionCreate', commandName: 'hash', framework: 'sapphire', store: 'commands', piece: 'hash', run: 'chatInputRun' };
    expect(blocking(reports)).toMatchObject([{ api: 'crypto.pbkdf2Sync', site: { file: script, line: lineOf(script, 'hash') }, handler: part }]);
    expect(acks(reports)).toMatchObject([{
      api: 'interaction.reply', outcome: 'delayed', site: { line: lineOf(script, 'hash-ack') }, handler: part,
      blockers: [{ api: 'crypto.pbkdf2Sync', site: { line: lineOf(script, 'hash') } }],
    }]);
  });
});
