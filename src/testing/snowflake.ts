import { discordEpoch as epochMs } from '../discord/constants';

const discordEpoch = BigInt(epochMs);
let increment = 0n;

/** A snowflake id for "now", unique within this process, like the ones Discord hands out. */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - discordEpoch) << 22n) | (1n << 17n) | increment).toString();
}

/** The shard a guild belongs to, by Discord's formula. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
