import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockingCallReport, InteractionAckReport, Report } from '../../src/index';
import { BotProcess, GatewayEmulator, shardOf } from '../../src/testing/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf } from '../support/run-node';

/*
 * Frameworks on top of discord.js, real, in real processes under loopguard, against the emulator:
 * discordx and necord (decorators; necord on NestJS) run their commands and listeners inside
 * discord.js' client events, so reports name the gateway event and the bot's line; the
 * acknowledgement is watched as in plain discord.js. discord-hybrid-sharding runs clusters as
 * processes, each with several shards.
 */

const blocking = (reports: Report[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');
const acks = (reports: Report[]) => reports.filter((r): r is InteractionAckReport => r.type === 'interaction-ack');

describe.each([
  ['discordx', 'discordx-bot.js'],
  ['necord', 'necord-bot.js'],
] as const)('%s', (_name, file) => {
  const bot = botFixture(file);

  it('a slash command is reported in interactionCreate with its ids at the bot\'s line; its delayed acknowledgement names the blocker', async () => {
    const { emulator, stop } = await startBot(bot);
    // necord registers its commands once the client is ready, after the bot said so.
    await emulator.waitForRest((c) => c.path.endsWith('/commands') && c.method !== 'GET');
    expect(emulator.applicationCommands().map((c) => c.name)).toEqual(['hash']);
    const { interaction, acknowledged } = emulator.sendCommand('hash');
    expect((await acknowledged).late).toBe(false);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    const handler = {
      source: 'discord.js', event: 'interactionCreate', dispatch: 'INTERACTION_CREATE', shard: 0,
      guildId: interaction.guild_id, channelId: interaction.channel_id, interactionId: interaction.id, commandName: 'hash',
    };
    expect(blocking(reports).map((r) => [r.api, r.site?.file, r.site?.line, r.handler])).toEqual([['crypto.pbkdf2Sync', bot, lineOf(bot, 'hash'), handler]]);
    expect(acks(reports)).toMatchObject([{
      api: 'interaction.reply', outcome: 'delayed', site: { file: bot, line: lineOf(bot, 'hash-ack') }, handler,
      blockers: [{ api: 'crypto.pbkdf2Sync', site: { line: lineOf(bot, 'hash') } }],
    }]);
  });

  it('an event handler is reported in messageCreate with the message\'s ids at the bot\'s line', async () => {
    const { emulator, stop } = await startBot(bot);
    const sent = emulator.sendMessage('!audit');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(blocking(reports).map((r) => [r.api, r.site?.line, r.handler])).toEqual([['fs.statSync', lineOf(bot, 'event'), {
      source: 'discord.js', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0,
      guildId: sent['guild_id'], channelId: sent['channel_id'], messageId: sent['id'],
    }]]);
  });
});

describe('discord-hybrid-sharding', () => {
  it('two clusters (processes) of two shards: every cluster guarded, reports carry the shard, one report file per cluster', async () => {
    const manager = resolve(__dirname, '../fixtures/bots/hybrid/cluster-manager.js');
    const clusterBot = resolve(__dirname, '../fixtures/bots/hybrid/cluster-bot.js');
    const register = resolve(__dirname, '../../dist/register.js');
    const emulator = await GatewayEmulator.start({ shards: 4, guilds: 12, maxConcurrency: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-clusters-'));
    const bot = BotProcess.start({
      script: manager,
      emulator,
      nodeArgs: [],
      env: { NODE_OPTIONS: `-r ${register}`, LOOPGUARD_CONSOLE: 'off', LOOPGUARD_REPORT_FILE: join(dir, 'reports-%p.jsonl') },
    });
    let replies: string[];
    try {
      await bot.waitForOutput(/ready/, 45_000);
      for (const shard of [0, 1, 2, 3]) {
        const guild = emulator.guilds.find((g) => shardOf(g.id, 4) === shard)!;
        emulator.sendMessage('!read', { channel: guild.channels[0] });
      }
      replies = (await emulator.waitForMessages(4)).map((m) => String(m['content'])).sort();
    } finally {
      await bot.stop();
      await emulator.close();
    }
    expect(replies).toEqual(['read on shard 0 in cluster 0', 'read on shard 1 in cluster 0', 'read on shard 2 in cluster 1', 'read on shard 3 in cluster 1']);
    expect(emulator.unknownRoutes.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    const files = readdirSync(dir).filter((f) => readFileSync(join(dir, f), 'utf8') !== '');
    const reports = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report));
    rmSync(dir, { recursive: true, force: true });
    expect(files).toHaveLength(2); // one per cluster process
    expect(reports.every((r) => r.api === 'fs.readFileSync' && r.handler?.event === 'messageCreate' && r.site?.file === clusterBot && r.site.line === lineOf(clusterBot, 'read'))).toBe(true);
    // In each cluster the first call is a report of its own, with its shard; the second (the
    // cluster's other shard) repeats the site and comes in the cluster's aggregate at exit.
    const first = reports.filter((r) => !r.aggregate);
    expect(first.map((r) => (r.handler?.shard as number) < 2 ? 'cluster 0' : 'cluster 1').sort()).toEqual(['cluster 0', 'cluster 1']);
    expect(new Set(first.map((r) => r.pid)).size).toBe(2);
    expect(reports.reduce((n, r) => n + r.count, 0)).toBe(4);
  }, 90_000);
});
