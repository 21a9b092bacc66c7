import { continueHandler, newHandlerContext, type AttributeValue } from '../../core/context';
import { replaceFunction, wrapMethod, type AnyFunction } from '../../core/patch';
import type { Undo } from '../../core/undo';
import { invokeCall, runHandlerEvent } from '../../handlers/lifecycle';
import { fields, patchAcknowledgers, pick, undoAll, type ClientEvents } from '../client-emit';
import type { Integration } from '../integration';
import { snowflakeTime } from '../snowflake';

/*
 * Seyfert 5, a framework with its own gateway client (no discord.js). Client#onPacket handles one
 * gateway dispatch from start to end: the cache, the app's event (`createEvent`), then for
 * INTERACTION_CREATE and MESSAGE_CREATE the command, component or modal it runs. Each dispatch
 * the app has code for is one handler, named by Seyfert's event name (`interactionCreate`), with
 * the dispatch's ids. Commands, components and modals run through runContextScopes (the plugins'
 * context scopes) with their context, whose `command` says which: that part of the handler gains
 * `store` (commands, components, modals) and `piece` (the command's name, the component's custom
 * id). Seyfert builds a new interaction object for the event and another for the command, so
 * acknowledgements are matched by the interaction's id; every response goes through a method of
 * the interaction classes. Shards send their heartbeats with Shard#heartbeat.
 *
 * The package is CommonJS only (its "module" is the same lib/index.js): ESM apps load the same
 * files, which the require hook sees.
 */

interface Packet {
  t?: unknown;
  d?: unknown;
}

/** Seyfert's Client (and WorkerClient): what tells whether the app has code for a dispatch. */
interface SeyfertClient {
  events?: { values?: Record<string, unknown> };
  pluginRegistry?: { events?: readonly unknown[]; anyEvents?: readonly unknown[] };
}

/** The dispatches commands, components and modals come with: handlers whenever Seyfert runs its command handler. */
const commandDispatches = new Set(['INTERACTION_CREATE', 'MESSAGE_CREATE']);

/** Whether the app has code that this dispatch runs (else it is Seyfert's cache work only, and no handler). */
function handled(client: SeyfertClient, t: string): boolean {
  if (commandDispatches.has(t)) return true;
  const values = client.events?.values;
  if (values !== undefined && (values[t] !== undefined || values['RAW'] !== undefined)) return true;
  const plugins = client.pluginRegistry;
  return (plugins?.events?.length ?? 0) > 0 || (plugins?.anyEvents?.length ?? 0) > 0;
}

/** `MESSAGE_CREATE` → `messageCreate`, Seyfert's name for the event (once per dispatch type). */
const eventNames = new Map<string, string>();
function eventName(t: string): string {
  let name = eventNames.get(t);
  if (name === undefined) {
    name = t.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (eventNames.size < 1000) eventNames.set(t, name);
  }
  return name;
}

const placeIds = fields({ guild_id: 'guildId', channel_id: 'channelId' });
const messageId = fields({ id: 'messageId' });
const interactionId = fields({ id: 'interactionId' });
const commandName = fields({ name: 'commandName' });

function idsOf(t: string, d: unknown, shard: unknown): Record<string, AttributeValue> {
  const ids: Record<string, AttributeValue> = { dispatch: t };
  if (typeof shard === 'number') ids['shard'] = shard;
  if (d === null || typeof d !== 'object') return ids;
  pick(d, placeIds, ids);
  if (t === 'MESSAGE_CREATE') pick(d, messageId, ids);
  else if (t === 'INTERACTION_CREATE') {
    pick(d, interactionId, ids);
    const data = (d as { data?: unknown }).data;
    if (data !== null && typeof data === 'object') pick(data, commandName, ids);
  }
  return ids;
}

/** Wraps the client's packet handler: `read` finds the shard id and the packet in its arguments. */
function patchOnPacket(proto: object | undefined, events: ClientEvents, read: (args: unknown[]) => [unknown, Packet | undefined]): Undo | undefined {
  return wrapMethod(proto, 'onPacket', (original) => function (this: SeyfertClient, ...args: unknown[]): unknown {
    const [shard, packet] = read(args);
    const t = packet?.t;
    if (!events.active || typeof t !== 'string' || !handled(this, t)) return Reflect.apply(original, this, args);
    const d = packet?.d;
    const context = newHandlerContext('seyfert', eventName(t), idsOf(t, d, shard));
    const id = t === 'INTERACTION_CREATE' ? (d as { id?: unknown } | undefined)?.id : undefined;
    if (typeof id === 'string') events.interactions.begin(context, id, snowflakeTime(id));
    return runHandlerEvent(events.observers(), context, events.strict, invokeCall, this, original, args);
  } as AnyFunction);
}

/** What a command's, component's or modal's context says of it. */
interface PartContext {
  command?: { name?: unknown; customId?: unknown; constructor?: { name?: unknown } };
  isModal?: () => boolean;
}

/** A part's attributes, made once per command, component or modal object. */
const parts = new WeakMap<object, Readonly<Record<string, AttributeValue>>>();

function partOf(context: PartContext | undefined): Readonly<Record<string, AttributeValue>> | undefined {
  const command = context?.command;
  if (command === null || typeof command !== 'object') return undefined;
  let attributes = parts.get(command);
  if (attributes !== undefined) return attributes;
  if (typeof command.name === 'string') attributes = { store: 'commands', piece: command.name, run: 'run' };
  else {
    const id = command.customId;
    const name = typeof id === 'string' ? id : typeof command.constructor?.name === 'string' ? command.constructor.name : undefined;
    if (name === undefined) return undefined;
    const modal = typeof context?.isModal === 'function' && context.isModal() === true;
    attributes = { store: modal ? 'modals' : 'components', piece: name, run: 'run' };
  }
  parts.set(command, attributes);
  return attributes;
}

/** runContextScopes(scopes, context, run), called by Seyfert's module-level reference (read at each call). */
function patchContextScopes(exports: unknown, events: ClientEvents): Undo | undefined {
  if (exports === null || typeof exports !== 'object') return undefined;
  const original = (exports as { runContextScopes?: unknown }).runContextScopes;
  if (typeof original !== 'function') return undefined;
  const replaced = replaceFunction(exports, 'runContextScopes', function (this: unknown, ...args: unknown[]): unknown {
    const attributes = events.active ? partOf(args[1] as PartContext | undefined) : undefined;
    if (attributes === undefined) return Reflect.apply(original, this, args);
    return continueHandler(attributes, () => Reflect.apply(original, this, args));
  });
  return replaced === undefined ? undefined : () => void replaced.undo();
}

/** The methods that answer an interaction for the first time, by the class that has them. */
const ackMethods: Readonly<Record<string, readonly string[]>> = {
  BaseInteraction: ['reply', 'deferReply'],
  Interaction: ['write', 'modal', 'editOrReply'],
  ApplicationCommandInteraction: ['respond'],
  AutocompleteInteraction: ['respond'],
  ComponentInteraction: ['update', 'deferUpdate'],
  ModalSubmitInteraction: ['update', 'deferUpdate'],
};

const byId = { prefix: 'interaction', interaction: (self: object) => {
  const id = (self as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
} };

function patchInteractions(exports: unknown, events: ClientEvents): Undo | undefined {
  const classes = exports as Record<string, { prototype?: object } | undefined> | undefined;
  return undoAll(Object.entries(ackMethods).map(([name, methods]) => {
    const proto = classes?.[name]?.prototype;
    // A decorated class (ModalSubmitInteraction) is a subclass of the one that has the methods.
    const owner = proto !== undefined && !methods.some((m) => Object.prototype.hasOwnProperty.call(proto, m)) ? Object.getPrototypeOf(proto) as object : proto;
    return patchAcknowledgers(owner, methods, events, byId);
  }));
}

/** Shard#heartbeat: sent when it stamped `heart.lastBeat` (it returns early without a socket or an ack). */
function patchShard(exports: unknown, events: ClientEvents): Undo | undefined {
  const proto = (exports as { Shard?: { prototype?: object } } | undefined)?.Shard?.prototype;
  return wrapMethod(proto, 'heartbeat', (original) => function (this: { id?: unknown; heart?: { lastBeat?: unknown; interval?: unknown } }, ...args: unknown[]): unknown {
    const before = this.heart?.lastBeat;
    const result = Reflect.apply(original, this, args);
    const heart = this.heart;
    if (events.active && typeof this.id === 'number' && heart !== undefined && heart.lastBeat !== before) {
      events.gateways.heartbeatSent(this.id, typeof heart.interval === 'number' && heart.interval > 0 ? heart.interval : undefined);
    }
    return result;
  } as AnyFunction);
}

const asPacket = (value: unknown): Packet | undefined => (value !== null && typeof value === 'object' ? value as Packet : undefined);

export const seyfert: Integration = {
  name: 'seyfert',
  package: 'seyfert',
  targets: [
    {
      file: 'seyfert/lib/client/client.js',
      patch: (exports, events) => patchOnPacket((exports as { Client?: { prototype?: object } } | undefined)?.Client?.prototype, events, ([shard, packet]) => [shard, asPacket(packet)]),
    },
    {
      // A WorkerClient (Seyfert's worker shards) takes the packet first.
      file: 'seyfert/lib/client/workerclient.js',
      patch: (exports, events) => patchOnPacket((exports as { WorkerClient?: { prototype?: object } } | undefined)?.WorkerClient?.prototype, events, ([packet, shard]) => [shard, asPacket(packet)]),
    },
    { file: 'seyfert/lib/client/plugins.js', patch: patchContextScopes },
    { file: 'seyfert/lib/structures/Interaction.js', patch: patchInteractions },
    { file: 'seyfert/lib/websocket/discord/shard.js', patch: patchShard },
  ],
};
