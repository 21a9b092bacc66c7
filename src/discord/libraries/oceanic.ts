import { eventIds, fields, patchAcknowledgers, patchEmit, pick, prototypeOf, trackPackets, type ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * Oceanic.js. Its Dispatcher#handle runs the handler of one gateway dispatch, which calls
 * Client#emit. Ids are named with an `ID` suffix (guildID, channelID).
 */

const internalEvents = new Set(['debug', 'warn', 'error', 'packet', 'request', 'shardDisconnect', 'shardPreReady', 'shardReady', 'shardResume', 'hello', 'connect', 'disconnect']);

/** The methods that answer an interaction for the first time. */
const ackMethods = ['createMessage', 'createModal', 'defer', 'deferUpdate', 'editParent', 'result'];
const placeIds = fields({ guildID: 'guildId', channelID: 'channelId' });

export const oceanic: Integration = {
  name: 'oceanic.js',
  package: 'oceanic.js',
  targets: [
    {
      file: 'oceanic.js/dist/lib/Client.js',
      patch: (exports, events) => patchEmit(prototypeOf(exports), events, {
        source: 'oceanic.js',
        internalEvents,
        ids: (event, first) => eventIds(event, first, pick(first, placeIds)),
        interactionEvent: 'interactionCreate',
        createdAt: (interaction) => {
          const at = (interaction as { createdAt?: unknown }).createdAt;
          return at instanceof Date ? at.getTime() : undefined;
        },
      }),
    },
    ...['CommandInteraction', 'ComponentInteraction', 'ModalSubmitInteraction', 'AutocompleteInteraction'].map((cls) => ({
      file: `oceanic.js/dist/lib/structures/${cls}.js`,
      patch: (exports: unknown, events: ClientEvents) => patchAcknowledgers(prototypeOf(exports), ackMethods, events),
    })),
    {
      file: 'oceanic.js/dist/lib/gateway/Dispatcher.js',
      patch: (exports, events) => trackPackets(prototypeOf(exports), 'handle', events, (_self, packet, shard) => ({
        t: (packet as { t?: string } | undefined)?.t,
        shard: (shard as { id?: number } | undefined)?.id,
      })),
    },
  ],
};
