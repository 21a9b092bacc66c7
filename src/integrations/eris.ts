import { patchEmit, pick, trackPackets } from './emitter';
import type { Integration } from './types';

/*
 * Eris. Shards forward their events to Client#emit; Shard#wsEvent handles one gateway dispatch.
 * Eris names ids with an `ID` suffix (guildID); channels are objects.
 */

const internalEvents = new Set(['debug', 'warn', 'error', 'rawWS', 'rawREST', 'unknown', 'connect', 'disconnect', 'hello', 'shardPreReady', 'shardReady', 'shardResume', 'shardDisconnect']);

const prototypeOf = (exports: unknown): object | undefined => (exports as { prototype?: object } | undefined)?.prototype;

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
          const ids = pick(first, { guildID: 'guildId' });
          const channel = (first as { channel?: object }).channel;
          if (channel !== undefined && channel !== null) Object.assign(ids, pick(channel, { id: 'channelId' }));
          if (event === 'interactionCreate') {
            Object.assign(ids, pick(first, { id: 'interactionId' }));
            const data = (first as { data?: object }).data;
            if (data !== undefined && data !== null) Object.assign(ids, pick(data, { name: 'commandName' }));
          } else if (event === 'messageCreate') {
            Object.assign(ids, pick(first, { id: 'messageId' }));
          }
          return ids;
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
