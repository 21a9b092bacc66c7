import { eventIds, fields, patchAcknowledgers, patchEmit, pick, prototypeOf, trackPackets, type ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * Eris. Shards forward their events to Client#emit; Shard#wsEvent handles one gateway dispatch.
 * Eris names ids with an `ID` suffix (guildID); channels are objects. Each interaction class has
 * its own response methods.
 */

const internalEvents = new Set(['debug', 'warn', 'error', 'rawWS', 'rawREST', 'unknown', 'connect', 'disconnect', 'hello', 'shardPreReady', 'shardReady', 'shardResume', 'shardDisconnect']);
/** The methods that answer an interaction for the first time (`acknowledge` calls one of the others). */
const ackMethods = ['acknowledge', 'createMessage', 'createModal', 'defer', 'deferUpdate', 'editParent', 'result'];

const guildIds = fields({ guildID: 'guildId' });
const channelIds = fields({ id: 'channelId' });

export const eris: Integration = {
  name: 'eris',
  package: 'eris',
  targets: [
    {
      file: 'eris/lib/Client.js',
      patch: (exports, events) => patchEmit(prototypeOf(exports), events, {
        source: 'eris',
        internalEvents,
        ids(event, first) {
          const ids = pick(first, guildIds);
          const channel = (first as { channel?: unknown }).channel;
          if (channel !== null && typeof channel === 'object') pick(channel, channelIds, ids);
          return eventIds(event, first, ids);
        },
        interactionEvent: 'interactionCreate',
        createdAt: (interaction) => {
          const at = (interaction as { createdAt?: unknown }).createdAt;
          return typeof at === 'number' ? at : undefined;
        },
      }),
    },
    ...['CommandInteraction', 'ComponentInteraction', 'ModalSubmitInteraction', 'AutocompleteInteraction'].map((cls) => ({
      file: `eris/lib/structures/${cls}.js`,
      patch: (exports: unknown, events: ClientEvents) => patchAcknowledgers(prototypeOf(exports), ackMethods, events),
    })),
    {
      file: 'eris/lib/gateway/Shard.js',
      patch: (exports, events) => trackPackets(prototypeOf(exports), 'wsEvent', events, (self, packet) => ({
        t: (packet as { t?: string } | undefined)?.t,
        shard: (self as { id?: number }).id,
      })),
    },
  ],
};
