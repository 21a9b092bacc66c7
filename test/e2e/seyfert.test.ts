import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockingCallReport, InteractionAckReport, Report, StallReport } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf } from '../support/run-node';
import { testCertificate, type TestCertificate } from '../support/tls';

/*
 * Real Seyfert bots (its own gateway client and REST) in real processes under loopguard, against
 * the emulator. Seyfert's gateway socket speaks only TLS, so the emulator serves TLS with a
 * certificate the bot trusts (NODE_EXTRA_CA_CERTS).
 */

const cjs = botFixture('seyfert-bot.js');
const esm = botFixture('seyfert-bot.mjs');
const blocking = (reports: Report[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');
const acks = (reports: Report[]) => reports.filter((r): r is InteractionAckReport => r.type === 'interaction-ack');

let tls: TestCertificate;
beforeAll(async () => {
  tls = await testCertificate();
});

const start = (script: string, env: NodeJS.ProcessEnv = {}, heartbeatIntervalMs?: number) => startBot(script, {
  env: { NODE_EXTRA_CA_CERTS: tls.file, ...env },
  emulator: { tls, ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs, dropSilentClients: false }) },
});

/** What Seyfert's logger and Node printed, but for loopguard's warning that Node 20 cannot hook ES module builds. */
const logged = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[loopguard] warning: on Node'));

describe.each([
  ['CJS', cjs],
  ['ESM', esm],
] as const)('Seyfert (%s)', (_name, script) => {
  it('starts with nothing logged and no unknown route; a message command and an event are handlers with the message\'s ids', async () => {
    const { emulator, bot, stop } = await start(script);
    const read = emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const audit = emulator.sendMessage('+audit');
    await emulator.waitForMessages(2);
    const { reports, stderr, code } = await stop();
    expect(code).toBe(0);
    expect(logged(bot.stdout)).toEqual(['ready']);
    expect(logged(stderr)).toEqual([]);
    const handler = (m: typeof read) => ({
      source: 'seyfert', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0,
      guildId: m['guild_id'], channelId: m['channel_id'], messageId: m['id'],
    });
    expect(blocking(reports).map((r) => [r.api, r.site, r.handler])).toEqual([
      ['fs.readFileSync', expect.objectContaining({ file: script, line: lineOf(script, 'read') }), { ...handler(read), store: 'commands', piece: 'read', run: 'run' }],
      ['fs.statSync', expect.objectContaining({ file: script, line: lineOf(script, 'event') }), handler(audit)],
    ]);
  });
});

describe('Seyfert interactions, heartbeats and stalls', () => {
  it('uploads its commands through the emulator\'s routes', async () => {
    const { emulator, stop } = await start(cjs);
    const names = emulator.applicationCommands().map((c) => c.name).sort();
    await stop();
    expect(names).toEqual(['hash', 'read', 'slow', 'spin']);
  });

  it('a chat-input command: handler interactionCreate with its ids and the command; the delayed acknowledgement names its blocker', async () => {
    const { emulator, stop } = await start(cjs);
    const { interaction, acknowledged } = emulator.sendCommand('hash');
    expect((await acknowledged).late).toBe(false);
    const { reports } = await stop();
    const handler = {
      source: 'seyfert', event: 'interactionCreate', dispatch: 'INTERACTION_CREATE', shard: 0,
      guildId: interaction.guild_id, channelId: interaction.channel_id, interactionId: interaction.id, commandName: 'hash',
      store: 'commands', piece: 'hash', run: 'run',
    };
    expect(blocking(reports).map((r) => [r.api, r.site?.line, r.handler])).toEqual([['crypto.pbkdf2Sync', lineOf(cjs, 'hash'), handler]]);
    expect(acks(reports)).toMatchObject([{
      api: 'interaction.write', outcome: 'delayed', site: { file: cjs, line: lineOf(cjs, 'hash-ack') }, handler,
      blockers: [{ api: 'crypto.pbkdf2Sync', site: { line: lineOf(cjs, 'hash') } }],
    }]);
  });

  it('an acknowledgement made late by a 3.2 s execSync names it', async () => {
    const { emulator, stop } = await start(cjs);
    expect((await emulator.sendCommand('slow').acknowledged).late).toBe(true);
    const { reports } = await stop();
    const [late] = acks(reports);
    expect(acks(reports)).toHaveLength(1);
    expect(late).toMatchObject({
      api: 'interaction.deferReply', outcome: 'late', site: { file: cjs, line: lineOf(cjs, 'slow-ack') },
      handler: { source: 'seyfert', event: 'interactionCreate', commandName: 'slow', piece: 'slow' },
      blockers: [{ api: 'child_process.execSync', site: { line: lineOf(cjs, 'slow') } }],
    });
    expect(late!.durationMs).toBeGreaterThanOrEqual(3200);
  });

  it('a stall in a command: the spinning line, the heartbeats it held up (Shard#heartbeat) and the interaction at risk', async () => {
    const { emulator, stop } = await start(cjs, { LOOPGUARD_STALL_MS: '300' }, 200);
    // Let the shard send heartbeats on its timer, so that its interval is known.
    await new Promise<void>((resolve) => emulator.once('heartbeat', () => emulator.once('heartbeat', () => resolve())));
    expect((await emulator.sendCommand('spin').acknowledged).late).toBe(false);
    const { reports } = await stop();
    const stalls = reports.filter((r): r is StallReport => r.type === 'stall');
    expect(stalls).toMatchObject([{
      outcome: 'captured', api: 'spinFor', site: { file: cjs, line: lineOf(cjs, 'spinner') },
      handler: { source: 'seyfert', event: 'interactionCreate', commandName: 'spin', piece: 'spin' },
      atRisk: { heartbeats: [{ shard: 0, intervalMs: 200 }], interactions: [{ source: 'seyfert', event: 'interactionCreate', commandName: 'spin', late: false }] },
    }]);
    expect(stalls[0]!.atRisk!.heartbeats[0]!.missed).toBeGreaterThanOrEqual(2);
  });
});
