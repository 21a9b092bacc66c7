import { contextOf, handlerStorage, type AttributeValue } from '../context';
import { acknowledging, beginInteraction } from './acks';
import { isBlockingCallError } from './contain';
import { undoAll, wrapMethod } from './patching';
import type { Integration } from './types';

/*
 * discord.js 14. Client#emit runs each client event's listeners in a handler context; the packet
 * being handled (WebSocketManager#handlePacket) tells the dispatch type and the shard; the
 * interaction classes' response methods mark the first acknowledgement.
 */

/** Emitted by discord.js for its own bookkeeping, not by Discord: never handlers. */
const internalEvents = new Set(['debug', 'raw', 'warn', 'cacheSweep', 'error', 'shardDisconnect', 'shardReconnecting', 'shardResume', 'shardError', 'invalidated']);
const ackMethods = ['reply', 'deferReply', 'deferUpdate', 'update', 'showModal', 'respond'];

/** The gateway packet discord.js is handling right now (handling is synchronous up to emit). */
let packet: { t: string | undefined; shard: number | undefined } | undefined;

type Structure = { id?: unknown; guildId?: unknown; channelId?: unknown; commandName?: unknown; createdTimestamp?: unknown; isRepliable?: unknown };

function attributesOf(event: string, first: unknown): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = {};
  if (packet?.t !== undefined) attrs['dispatch'] = packet.t;
  if (packet?.shard !== undefined) attrs['shard'] = packet.shard;
  if (first === null || typeof first !== 'object') return attrs;
  const s = first as Structure;
  if (typeof s.guildId === 'string') attrs['guildId'] = s.guildId;
  if (typeof s.channelId === 'string') attrs['channelId'] = s.channelId;
  if (event === 'interactionCreate') {
    if (typeof s.id === 'string') attrs['interactionId'] = s.id;
    if (typeof s.commandName === 'string') attrs['commandName'] = s.commandName;
  } else if (event === 'messageCreate' && typeof s.id === 'string') {
    attrs['messageId'] = s.id;
  }
  return attrs;
}

type Emit = (this: { listenerCount(event: string | symbol): number }, event: string | symbol, ...args: unknown[]) => boolean;

function patchClient(exports: unknown): (() => void) | undefined {
  const Client = exports as { prototype?: object } | undefined;
  return wrapMethod(Client?.prototype, 'emit', (original) => {
    const emit = original as unknown as Emit;
    return function (this: ThisParameterType<Emit>, event: string | symbol, first?: unknown): boolean {
      // discord.js' client captures listeners' rejections and emits them as 'error': a call that
      // strict mode stopped was reported already and must not crash the bot.
      if (event === 'error' && isBlockingCallError(first)) return true;
      if (typeof event !== 'string' || internalEvents.has(event) || this.listenerCount(event) === 0) {
        return Reflect.apply(emit, this, arguments) as boolean;
      }
      const context = contextOf('discord.js', event, attributesOf(event, first));
      if (event === 'interactionCreate' && first !== undefined && first !== null) {
        const created = (first as Structure).createdTimestamp;
        beginInteraction(context, first as object, typeof created === 'number' ? created : undefined);
      }
      try {
        return handlerStorage.run(context, Reflect.apply, emit, this, arguments) as boolean;
      } catch (error) {
        // A listener stopped by strict mode (reported already) must not break discord.js' packet handling.
        if (isBlockingCallError(error)) return true;
        throw error;
      }
    } as unknown as (this: unknown, ...args: unknown[]) => unknown;
  });
}

function patchManager(exports: unknown): (() => void) | undefined {
  const Manager = exports as { prototype?: object } | undefined;
  return wrapMethod(Manager?.prototype, 'handlePacket', (original) => function (this: unknown, ...args: unknown[]) {
    const [data, shard] = args as [{ t?: string } | undefined, { id?: number } | undefined];
    const outer = packet;
    packet = { t: data?.t, shard: shard?.id };
    try {
      return Reflect.apply(original, this, args);
    } finally {
      packet = outer;
    }
  });
}

/** applyToClass copies the response methods onto each interaction class: patch them there. */
function patchInteractions(exports: unknown): (() => void) | undefined {
  const cls = exports as { prototype?: object; name?: string } | undefined;
  return undoAll(ackMethods.map((name) => {
    if (cls?.prototype === undefined || !Object.prototype.hasOwnProperty.call(cls.prototype, name)) return undefined;
    return wrapMethod(cls.prototype, name, (original) => {
      const wrapper = function (this: object, ...args: unknown[]): unknown {
        acknowledging(this, `interaction.${name}`, wrapper);
        return Reflect.apply(original, this, args);
      };
      return wrapper as (this: unknown, ...args: unknown[]) => unknown;
    });
  }));
}

export const discordJs: Integration = {
  name: 'discord.js',
  package: 'discord.js',
  targets: [
    { file: 'discord.js/src/client/Client.js', patch: patchClient },
    { file: 'discord.js/src/client/websocket/WebSocketManager.js', patch: patchManager },
    { file: 'discord.js/src/structures/CommandInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/MessageComponentInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/ModalSubmitInteraction.js', patch: patchInteractions },
    { file: 'discord.js/src/structures/AutocompleteInteraction.js', patch: patchInteractions },
  ],
};
