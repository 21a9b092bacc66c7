import { contextOf, type AttributeValue } from '../context';
import { emitSettling } from '../handlers/emit';
import { runHandler } from '../handlers/lifecycle';
import { beginInteraction, type InteractionKey } from './acks';
import { isBlockingCallError } from './contain';
import { wrapMethod } from './patching';

/*
 * What the client-library integrations share: the client's `emit` runs each gateway event's
 * listeners in a handler context, and the gateway packet being handled right now (set by a
 * wrapper around the library's packet handler) tells the dispatch type and the shard.
 */

export interface Packet {
  t: string | undefined;
  shard: number | undefined;
}

let packet: Packet | undefined;

/** Wraps the library's packet handler so that emits inside it know the packet. */
export function trackPackets(proto: object | undefined, method: string, read: (self: unknown, args: unknown[]) => Packet): (() => void) | undefined {
  return wrapMethod(proto, method, (original) => function (this: unknown, ...args: unknown[]) {
    const outer = packet;
    packet = read(this, args);
    try {
      return Reflect.apply(original, this, args);
    } finally {
      packet = outer;
    }
  });
}

export interface EmitSpec {
  /** The handler source, e.g. `discord.js`. */
  source: string;
  /** The library's own bookkeeping events: never handlers. */
  internalEvents: ReadonlySet<string>;
  /** Ids of the event's first argument (never content). */
  ids(event: string, first: object): Record<string, AttributeValue>;
  /** The event that carries interactions (their acknowledgements are watched), if supported. */
  interactionEvent?: string;
  /** What the acknowledging methods know the interaction by (default: the event's first argument). */
  interactionKey?(first: object): InteractionKey | undefined;
  /** When Discord created the interaction (its snowflake time), if the library tells. */
  createdAt?(interaction: object): number | undefined;
}

type Emitter = { listenerCount(event: string | symbol): number };
type Emit = (this: Emitter, event: string | symbol, ...args: unknown[]) => boolean;

function attributesOf(spec: EmitSpec, event: string, first: unknown): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = first !== null && typeof first === 'object' ? spec.ids(event, first) : {};
  if (packet?.t !== undefined) attrs['dispatch'] = packet.t;
  if (packet?.shard !== undefined) attrs['shard'] = packet.shard;
  return attrs;
}

/** Patches a client class' `emit` (own or inherited) so that its event listeners are handlers. */
export function patchEmit(proto: object | undefined, spec: EmitSpec): (() => void) | undefined {
  return wrapMethod(proto, 'emit', (original) => {
    const emit = original as unknown as Emit;
    return function (this: Emitter, event: string | symbol, first?: unknown): boolean {
      // Libraries that capture listeners' rejections emit them as 'error': a call that strict
      // mode stopped was reported already and must not crash the bot.
      if (event === 'error' && isBlockingCallError(first)) return true;
      if (typeof event !== 'string' || spec.internalEvents.has(event) || this.listenerCount(event) === 0) {
        return Reflect.apply(emit, this, arguments) as boolean;
      }
      const context = contextOf(spec.source, event, attributesOf(spec, event, first));
      if (event === spec.interactionEvent && first !== null && typeof first === 'object') {
        const key = spec.interactionKey === undefined ? first : spec.interactionKey(first);
        if (key !== undefined) beginInteraction(context, key, spec.createdAt?.(first));
      }
      const args = arguments;
      try {
        return runHandler(context, (settling) => (settling === undefined
          ? Reflect.apply(emit, this, args)
          : emitSettling(this, emit as (this: unknown, ...a: unknown[]) => unknown, args, settling)) as boolean);
      } catch (error) {
        // A listener stopped by strict mode (reported already) must not break the library's packet handling.
        if (isBlockingCallError(error)) return true;
        throw error;
      }
    } as unknown as (this: unknown, ...args: unknown[]) => unknown;
  });
}

/**
 * The ids of a `messageCreate` message or an `interactionCreate` interaction in libraries whose
 * structures have `id` and, for interactions, `data.name` (Eris, Oceanic.js).
 */
export function eventIds(event: string, first: object, into: Record<string, AttributeValue> = {}): Record<string, AttributeValue> {
  if (event === 'messageCreate') return pick(first, messageId, into);
  if (event !== 'interactionCreate') return into;
  pick(first, interactionId, into);
  const data = (first as { data?: unknown }).data;
  return data !== null && typeof data === 'object' ? pick(data, commandName, into) : into;
}

const messageId = fields({ id: 'messageId' });
const interactionId = fields({ id: 'interactionId' });
const commandName = fields({ name: 'commandName' });

/** The prototype of a module's exported class (`module.exports = Class`, or TypeScript's `exports.default`). */
export function prototypeOf(exports: unknown): object | undefined {
  const e = exports as { default?: { prototype?: object }; prototype?: object } | undefined;
  return e?.prototype ?? e?.default?.prototype;
}

/** Which fields of an event's object become which attributes: `[field, attribute]` pairs, made once. */
export type Fields = readonly (readonly [string, string])[];

export function fields(names: Readonly<Record<string, string>>): Fields {
  return Object.entries(names);
}

/**
 * Copies the string (or number) `which` fields of `from` into `into` (a new object by default),
 * under their attribute names. Runs for every handled event: no allocation beyond `into`.
 */
export function pick(from: object, which: Fields, into: Record<string, AttributeValue> = {}): Record<string, AttributeValue> {
  for (let i = 0; i < which.length; i++) {
    const pair = which[i] as readonly [string, string];
    const value = (from as Record<string, unknown>)[pair[0]];
    if (typeof value === 'string' || typeof value === 'number') into[pair[1]] = value;
  }
  return into;
}
