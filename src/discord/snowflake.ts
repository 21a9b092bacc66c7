import { discordEpoch } from './constants';

/** When Discord created a snowflake id (ms since the epoch), if it is one. */
export function snowflakeTime(id: unknown): number | undefined {
  if (typeof id !== 'string' || !/^\d{1,20}$/.test(id)) return undefined;
  return Number(BigInt(id) >> 22n) + discordEpoch;
}
