import { eventIds, fields, patchEmit, pick, prototypeOf, trackPackets } from './emitter';
import type { Integration } from './types';

/*
 * Eris. Shards forward their events to Client#emit; Shard#wsEvent handles one gateway dispatch.
 * Eris names ids with an `ID` suffix (guildID); channels are objects.
 */

const internalEvents = new Set(['debug', 'warn', 'error', 'rawWS', 'rawREST', 'unknown', 'connect', 'disconnect', 'hello', 'shardPreReady', 'shardReady', 'shardResume', 'shardDisconnect']);
const guildIds = fields({ guildID: 'guildId' });
const channelIds = fields({ id: 'channelId' });

export const eris: Integration = {
  name: 'eris',
  package: 'eris',
  targets: [
    {
      file: 'eris/lib/Client.js',
      patch: (exports) => patchEmit(prototypeOf(exports), {
        source: 'eris',
        internalEvents,
        ids(event, first) {
          const ids = pick(first, guildIds);
          const channel = (first as { channel?: unknown }).channel;
          if (channel !== null && typeof channel === 'object') pick(channel, channelIds, ids);
          return eventIds(event, first, ids);
        },
      }),
    },
    {
      file: 'eris/lib/gateway/Shard.js',
      patch: (exports) => trackPackets(prototypeOf(exports), 'wsEvent', (self, [packet]) => ({
        t: (packet as { t?: string } | undefined)?.t,
        shard: (self as { id?: number }).id,
      })),
    },
  ],
};
