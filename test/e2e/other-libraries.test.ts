import { describe, expect, it } from 'vitest';
import { botFixture, startBot } from '../support/bot';
import { inThreadEsmHooks } from '../support/esm-hooks';
import { lineOf } from '../support/run-node';

/* Eris and Oceanic.js, real, in real processes under loopguard, against the emulator. */

describe.each([
  ['Oceanic.js (CJS)', 'oceanic-bot.js', 'oceanic.js'],
  ['Oceanic.js (ESM)', 'oceanic-bot.mjs', 'oceanic.js'],
  ['Eris', 'eris-bot.js', 'eris'],
  ['@discordjs/core (CJS)', 'core-bot.js', '@discordjs/core'],
  ['@discordjs/core (ESM)', 'core-bot.mjs', '@discordjs/core'],
] as const)('%s', (_name, file, source) => {
  // @discordjs/core's ESM build is hooked where Node runs module hooks in-thread (22.22.3+, 24.11.1+, 25.1+).
  it.skipIf(file === 'core-bot.mjs' && !inThreadEsmHooks)('reports a blocking call in messageCreate with the event, dispatch, shard, ids and line; nothing from start-up', async () => {
    const script = botFixture(file);
    const { emulator, bot, stop } = await startBot(script);
    const sent = emulator.sendMessage('!read');
    if (source === 'eris') await bot.waitForOutput(/handled read/); // Eris' REST is https-only: no reply
    else await emulator.waitForMessages(1);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(reports).toMatchObject([{
      api: 'fs.readFileSync',
      handler: {
        source, event: source === '@discordjs/core' ? 'MESSAGE_CREATE' : 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0,
        guildId: sent['guild_id'], channelId: sent['channel_id'], messageId: sent['id'],
      },
      site: { file: script, line: lineOf(script, 'read') },
    }]);
  });
});

describe('Oceanic.js interactions', () => {
  it('reports an interaction acknowledged after the 3 s deadline because of a blocking call', async () => {
    const script = botFixture('oceanic-bot.js');
    const { emulator, stop } = await startBot(script);
    const ack = await emulator.sendCommand('slow').acknowledged;
    expect(ack.late).toBe(true);
    const { reports } = await stop();
    expect(reports.find((r) => r.type === 'interaction-ack')).toMatchObject({
      api: 'interaction.createMessage', outcome: 'late',
      site: { file: script, line: lineOf(script, 'slow-ack') },
      handler: { source: 'oceanic.js', event: 'interactionCreate', commandName: 'slow' },
      blockers: [{ api: 'Atomics.wait', site: { line: lineOf(script, 'slow') } }],
    });
  });
});

describe.each([
  ['@discordjs/core (CJS)', 'core-bot.js', '@discordjs/core', 'INTERACTION_CREATE', 'api.interactions.reply'],
  ['@discordjs/core (ESM)', 'core-bot.mjs', '@discordjs/core', 'INTERACTION_CREATE', 'api.interactions.reply'],
  ['Eris', 'eris-bot.js', 'eris', 'interactionCreate', 'interaction.createMessage'],
] as const)('%s interactions', (_name, file, source, event, api) => {
  it.skipIf(file === 'core-bot.mjs' && !inThreadEsmHooks)('reports an acknowledgement delayed by a blocking call, at the acknowledging line, with the blocker', async () => {
    const script = botFixture(file);
    // A file read blocks for far less than the 100 ms from which delays are reported by default.
    const { emulator, bot, stop } = await startBot(script, { env: { LOOPGUARD_ACK_BLOCKED_MS: '0' } });
    const command = emulator.sendCommand('points');
    if (source === 'eris') await bot.waitForOutput(/acknowledged points/);
    else expect((await command.acknowledged).late).toBe(false);
    const { reports } = await stop();
    expect(reports.filter((r) => r.type === 'interaction-ack')).toMatchObject([{
      api, outcome: 'delayed',
      site: { file: script, line: lineOf(script, 'points-ack') },
      handler: { source, event },
      blockers: [{ api: 'fs.readFileSync', site: { line: lineOf(script, 'points') } }],
    }]);
  });
});

describe.runIf(!inThreadEsmHooks)('an ES module bot on a Node without in-thread module hooks (20, 22 before 22.22.3)', () => {
  it('runs as without loopguard but for one warning naming the ES module builds it cannot hook', async () => {
    const { emulator, bot, stop } = await startBot(botFixture('core-bot.mjs'), { env: { LOOPGUARD_CONSOLE: 'on' } });
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const { reports, stderr } = await stop();
    expect(reports).toEqual([]);
    expect(stderr.match(/\[loopguard\] warning: on Node [\d.]+, the ES module builds of [^:]*@discordjs\/core[^:]* are not hooked/g)).toHaveLength(1);
    expect(bot.stdout).toContain('ready');
  });
});
