import { fields, patchAcknowledgers, patchEmit, pick, undoAll, type ClientEvents, type Fields } from '../client-emit';
import type { Integration } from '../integration';
import { snowflakeTime } from '../snowflake';

/*
 * @discordjs/core 2. Its Client emits each gateway dispatch under its own type (`MESSAGE_CREATE`,
 * `INTERACTION_CREATE`) with `{ data, api, shardId }`. CommonJS apps load dist/index.js (a require
 * hook sees it); ESM apps load the separate dist/index.mjs (the ESM loader hook sees it). The
 * bot answers an interaction through the REST API (`api.interactions.reply(id, token, ...)`),
 * so acknowledgements are matched by the interaction's id.
 */

const placeIds = fields({ guild_id: 'guildId', channel_id: 'channelId' });
const eventIds: Readonly<Record<string, Fields>> = { MESSAGE_CREATE: fields({ id: 'messageId' }), INTERACTION_CREATE: fields({ id: 'interactionId' }) };
const commandName = fields({ name: 'commandName' });

function ids(event: string, first: object) {
  const { data, shardId } = first as { data?: unknown; shardId?: unknown };
  const out: Record<string, string | number> = { dispatch: event };
  if (typeof shardId === 'number') out['shard'] = shardId;
  if (data === null || typeof data !== 'object') return out;
  pick(data, placeIds, out);
  const id = eventIds[event];
  if (id !== undefined) pick(data, id, out);
  const command = (data as { data?: unknown }).data;
  if (event === 'INTERACTION_CREATE' && command !== null && typeof command === 'object') pick(command, commandName, out);
  return out;
}

/** `{ data }` of an INTERACTION_CREATE: the interaction, known to the REST methods by its id. */
const interactionData = (first: object): { id?: unknown } | undefined => {
  const data = (first as { data?: unknown }).data;
  return data !== null && typeof data === 'object' ? data : undefined;
};

/** InteractionsAPI's methods that answer an interaction for the first time: `(interactionId, token, ...)`. */
const ackMethods = ['reply', 'defer', 'deferMessageUpdate', 'updateMessage', 'createAutocompleteResponse', 'createModal', 'launchActivity'];

type CoreExports = { Client?: { prototype?: object }; InteractionsAPI?: { prototype?: object } } | undefined;

const patchCore = (exports: unknown, events: ClientEvents) => {
  const core = exports as CoreExports;
  return undoAll([
    patchEmit(core?.Client?.prototype, events, {
      source: '@discordjs/core',
      internalEvents: new Set(['error']),
      ids,
      interactionEvent: 'INTERACTION_CREATE',
      interactionKey: (first) => {
        const id = interactionData(first)?.id;
        return typeof id === 'string' ? id : undefined;
      },
      createdAt: (first) => snowflakeTime(interactionData(first)?.id),
    }),
    patchAcknowledgers(core?.InteractionsAPI?.prototype, ackMethods, events, {
      prefix: 'api.interactions',
      interaction: (_self, [id]) => (typeof id === 'string' ? id : undefined),
    }),
  ]);
};

export const discordjsCore: Integration = {
  name: '@discordjs/core',
  package: '@discordjs/core',
  targets: [
    { file: '@discordjs/core', patch: patchCore },
    { file: '@discordjs/core/dist/index.js', patch: patchCore },
  ],
  esm: { patch: patchCore },
};
