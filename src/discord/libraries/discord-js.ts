import { fields, patchAcknowledgers, patchEmit, pick, prototypeOf, trackPackets, type ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * discord.js 14. Client#emit runs each client event's listeners in a handler context; the packet
 * being handled (WebSocketManager#handlePacket) tells the dispatch type and the shard; the
 * interaction classes' response methods mark the first acknowledgement.
 */

const internalEvents = new Set(['debug', 'raw', 'warn', 'cacheSweep', 'error', 'shardDisconnect', 'shardReconnecting', 'shardResume', 'shardError', 'invalidated']);
const ackMethods = ['reply', 'deferReply', 'deferUpdate', 'update', 'showModal', 'respond'];

const placeIds = fields({ guildId: 'guildId', channelId: 'channelId' });
const interactionIds = fields({ id: 'interactionId', commandName: 'commandName' });
const messageIds = fields({ id: 'messageId' });

const spec = {
  source: 'discord.js',
  internalEvents,
  ids(event: string, first: object) {
    const ids = pick(first, placeIds);
    if (event === 'interactionCreate') pick(first, interactionIds, ids);
    else if (event === 'messageCreate') pick(first, messageIds, ids);
    return ids;
  },
  interactionEvent: 'interactionCreate',
  createdAt: (interaction: object) => {
    const at = (interaction as { createdTimestamp?: unknown }).createdTimestamp;
    return typeof at === 'number' ? at : undefined;
  },
};

/** applyToClass copies the response methods onto each interaction class: patch them there. */
const patchInteractions = (exports: unknown, events: ClientEvents) => patchAcknowledgers(prototypeOf(exports), ackMethods, events);

export const discordJs: Integration = {
  name: 'discord.js',
  package: 'discord.js',
  targets: [
    { file: 'discord.js/src/client/Client.js', patch: (exports, events) => patchEmit(prototypeOf(exports), events, spec) },
    {
      file: 'discord.js/src/client/websocket/WebSocketManager.js',
      patch: (exports, events) => trackPackets(prototypeOf(exports), 'handlePacket', events, (_self, packet, shard) => ({
        t: (packet as { t?: string } | undefined)?.t,
        shard: (shard as { id?: number } | undefined)?.id,
      })),
    },
    { file: 'discord.js/src/structures/CommandInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/MessageComponentInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/ModalSubmitInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/AutocompleteInteraction.js', patch: patchInteractions },
  ],
};
