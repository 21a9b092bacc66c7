import { fields, patchEmit, pick, type Fields } from './emitter';
import type { Integration } from './types';

/*
 * @discordjs/core 2. Its Client emits each gateway dispatch under its own type (`MESSAGE_CREATE`,
 * `INTERACTION_CREATE`) with `{ data, api, shardId }`. CommonJS apps load dist/index.js (a require
 * hook sees it); ESM apps load the separate dist/index.mjs (the ESM loader hook sees it).
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

const patchClient = (exports: unknown) =>
  patchEmit((exports as { Client?: { prototype?: object } } | undefined)?.Client?.prototype, {
    source: '@discordjs/core',
    internalEvents: new Set(['error']),
    ids,
  });

export const discordjsCore: Integration = {
  name: '@discordjs/core',
  package: '@discordjs/core',
  targets: [
    { file: '@discordjs/core', patch: patchClient },
    { file: '@discordjs/core/dist/index.js', patch: patchClient },
  ],
  esm: { patch: patchClient },
};
