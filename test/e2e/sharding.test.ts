import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/index';
import { BotProcess, GatewayEmulator, shardOf } from '../../src/testing/index';
import { lineOf } from '../support/run-node';

/*
 * A sharded bot: discord.js' ShardingManager in process and in worker mode, two shards, the
 * guard preloaded through NODE_OPTIONS (which shard processes and worker threads inherit).
 */

const manager = resolve(__dirname, '../fixtures/bots/sharded/manager.js');
const shardBot = resolve(__dirname, '../fixtures/bots/sharded/shard-bot.js');
const register = resolve(__dirname, '../../dist/register.js');

describe.each([
  ['process', '%p'],
  ['worker', '%p-%t'],
] as const)('ShardingManager in %s mode', (mode, pattern) => {
  it('guards every shard; reports carry the shard id; one report file per shard, none corrupted', async () => {
    const emulator = await GatewayEmulator.start({ shards: 2, guilds: 4, maxConcurrency: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-shards-'));
    const bot = BotProcess.start({
      script: manager,
      emulator,
      nodeArgs: [],
      env: {
        SHARD_MODE: mode, NODE_OPTIONS: `-r ${register}`, LOOPGUARD_CONSOLE: 'off',
        LOOPGUARD_REPORT_FILE: join(dir, `reports-${pattern}.jsonl`),
      },
    });
    try {
      await bot.waitForOutput(/ready/, 30_000);
      for (const shard of [0, 1]) {
        const guild = emulator.guilds.find((g) => shardOf(g.id, 2) === shard)!;
        emulator.sendMessage('!read', { channel: guild.channels[0] });
      }
      const replies = await emulator.waitForMessages(2);
      expect(replies.map((m) => m['content']).sort()).toEqual(['read on shard 0', 'read on shard 1']);
    } finally {
      await bot.stop();
      await emulator.close();
    }
    expect(emulator.unknownRoutes.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    const files = readdirSync(dir).filter((f) => readFileSync(join(dir, f), 'utf8') !== '');
    const reports = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report));
    rmSync(dir, { recursive: true, force: true });
    expect(files).toHaveLength(2); // one per shard (process, or worker thread)
    expect(reports.map((r) => [r.api, r.handler?.shard, r.site?.line]).sort()).toEqual([
      ['fs.readFileSync', 0, lineOf(shardBot, 'read')],
      ['fs.readFileSync', 1, lineOf(shardBot, 'read')],
    ]);
  }, 60_000);
});
