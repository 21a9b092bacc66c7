import { describe, expect, it } from 'vitest';
import type { Report, StallReport } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf } from '../support/run-node';

/* The stall watchdog in a real discord.js bot against the gateway emulator. */

const bot = botFixture('djs-bot.js');
const stalls = (reports: Report[]) => reports.filter((r): r is StallReport => r.type === 'stall');
const env = { LOOPGUARD_STALL_MS: '300' };

describe('stalls in discord.js handlers', () => {
  /** `!spin` once the shard has sent `beats` heartbeats (200 ms apart): the bot's exit status and its stall reports. */
  async function spinAfterHeartbeats(beats: number): Promise<{ code: number | null; got: StallReport[] }> {
    const { emulator, stop } = await startBot(bot, { env, emulator: { heartbeatIntervalMs: 200, dropSilentClients: false } });
    await new Promise<void>((resolve) => {
      let seen = 0;
      const beat = () => {
        if (++seen < beats) return;
        emulator.off('heartbeat', beat);
        resolve();
      };
      emulator.on('heartbeat', beat);
    });
    emulator.sendMessage('!spin');
    await emulator.waitForMessages(1);
    const { reports, code } = await stop();
    return { code, got: stalls(reports) };
  }

  it('a busy loop: the spinning function, its line, the handler event, and the heartbeats it held up', async () => {
    // Let the shard send a heartbeat on its timer, so that its interval is known.
    const { code, got } = await spinAfterHeartbeats(2);
    expect(code).toBe(0);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      outcome: 'captured', api: 'spinFor',
      handler: { source: 'discord.js', event: 'messageCreate', dispatch: 'MESSAGE_CREATE', shard: 0 },
      site: { file: bot, line: lineOf(bot, 'spinner') },
      atRisk: { heartbeats: [{ shard: 0, intervalMs: 200 }], interactions: [] },
    });
    expect(got[0]!.stack).toContain(`${bot}:${lineOf(bot, 'spin')}:`);
    expect(got[0]!.atRisk!.heartbeats[0]!.missed).toBeGreaterThanOrEqual(2);
  });

  it('a stall right after the first heartbeat (before the shard\'s heartbeat timer ever fired) names the heartbeats it held up', async () => {
    // The spin starts a few ms after the first heartbeat, well before the second is due.
    const { code, got } = await spinAfterHeartbeats(1);
    expect(code).toBe(0);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ handler: { event: 'messageCreate', shard: 0 }, atRisk: { heartbeats: [{ shard: 0, intervalMs: 200 }] } });
    expect(got[0]!.atRisk!.heartbeats[0]!.missed).toBeGreaterThanOrEqual(2);
  });

  it('a long JSON.parse (no interrupt inside it): the stack where JavaScript resumed, right after it', async () => {
    // Newer V8s parse faster: a low threshold keeps the parse a stall everywhere.
    const { emulator, stop } = await startBot(bot, { env: { LOOPGUARD_STALL_MS: '100' } });
    emulator.sendMessage('!json');
    await emulator.waitForMessages(1, 30_000);
    const { reports } = await stop();
    const got = stalls(reports);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ outcome: 'resumed', handler: { event: 'messageCreate' }, site: { file: bot, line: lineOf(bot, 'json-next') } });
  });

  it('Atomics.wait that the allow-list accepts is still a stall', async () => {
    const { emulator, stop } = await startBot(bot, { env: { ...env, LOOPGUARD_ALLOW: 'Atomics.wait' } });
    emulator.sendMessage('!wait');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(reports).toMatchObject([{ type: 'stall', outcome: 'captured', api: 'Atomics.wait', site: { line: lineOf(bot, 'wait') }, handler: { event: 'messageCreate' } }]);
  });

  it('a wrapped execSync longer than the threshold: one blocking-call report, no stall', async () => {
    const { emulator, stop } = await startBot(bot, { env });
    emulator.sendMessage('!exec');
    await emulator.waitForMessages(1);
    const { reports } = await stop();
    expect(reports).toMatchObject([{ type: 'blocking-call', api: 'child_process.execSync', site: { line: lineOf(bot, 'exec') } }]);
    expect(reports).toHaveLength(1);
  });

  it('an interaction whose handler stalls before acknowledging it is at risk', async () => {
    const { emulator, stop } = await startBot(bot, { env });
    expect((await emulator.sendCommand('spin').acknowledged).late).toBe(false);
    const { reports } = await stop();
    const got = stalls(reports);
    expect(got).toMatchObject([{
      api: 'spinFor', handler: { event: 'interactionCreate', commandName: 'spin' },
      atRisk: { interactions: [{ event: 'interactionCreate', source: 'discord.js', commandName: 'spin', late: false }] },
    }]);
    expect(got[0]!.stack).toContain(`${bot}:${lineOf(bot, 'spin-command')}:`);
    expect(got[0]!.atRisk!.interactions[0]!.waitedMs).toBeGreaterThanOrEqual(790);
  });

  it('an idle bot (gateway heartbeats, timers) reports no stall', async () => {
    const { emulator, stop } = await startBot(bot, { env: { LOOPGUARD_STALL_MS: '50', LOOPGUARD_SCOPE: 'all' }, emulator: { heartbeatIntervalMs: 100 } });
    emulator.sendMessage('!ping');
    await emulator.waitForMessages(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { reports } = await stop();
    expect(stalls(reports)).toEqual([]);
  });
});
