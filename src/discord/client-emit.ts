import { currentHandler, eventContext, HandlerState, originOf, type AttributeReader, type AttributeValue } from '../core/context';
import { onBun } from '../core/bun';
import { isBlockingCallError } from '../core/errors';
import { isWrapper, mimic, wrapMethod, type AnyFunction } from '../core/patch';
import { UndoStack, type Undo } from '../core/undo';
import { containingStops, emitSettling } from '../handlers/emit';
import { runHandlerEvent, type Observers } from '../handlers/lifecycle';
import type { Gateways } from './gateways';
import type { InteractionKey, Interactions } from './interactions';

/*
 * What the client-library integrations share: the client's `emit` runs each gateway event's
 * listeners in a handler context, the gateway packet being handled right now (set by a wrapper
 * around the library's packet handler) tells the dispatch type and the shard, and the interaction
 * classes' response methods mark acknowledgements. Everything goes through one ClientEvents per
 * runtime; once it is stopped, a patch that could not be taken out calls straight through.
 */

export interface Packet {
  t: string | undefined;
  shard: number | undefined;
}

/** The integrations' shared state and tools, for one runtime. */
export class ClientEvents {
  /** False once uninstalled: every patch calls straight through. */
  active = true;
  /** The gateway packet being handled right now. */
  packet: Packet | undefined;
  /** Strict mode: each listener runs on its own (a stopped one does not keep the others from the event). */
  strict = false;
  /**
   * Which client started each handler, once a bot framework is loaded (else undefined, and nothing
   * is kept per event): a framework re-emits its own events on the client from inside the gateway
   * event's handler (Sapphire's `chatInputCommandAccepted`), and those continue that handler.
   */
  startedBy: HandlerState<object> | undefined;

  constructor(readonly observers: Observers, readonly interactions: Interactions, readonly gateways: Gateways) {}

  /** A framework that re-emits events on its client is loaded: emits inside a handler of the same client continue it. */
  frameworkLoaded(): void {
    this.startedBy ??= new HandlerState();
  }
}

/**
 * Wraps the library's packet handler so that emits inside it know the packet, read from the
 * handler's object and its first two arguments (given one by one: `arguments` passed on would be
 * made into an object for every packet).
 */
export function trackPackets(proto: object | undefined, method: string, events: ClientEvents, read: (self: unknown, first: unknown, second: unknown) => Packet): Undo | undefined {
  return wrapMethod(proto, method, (original) => function (this: unknown, first?: unknown, second?: unknown) {
    if (!events.active) return Reflect.apply(original, this, arguments);
    const outer = events.packet;
    events.packet = read(this, first, second);
    try {
      return Reflect.apply(original, this, arguments);
    } finally {
      events.packet = outer;
    }
  });
}

/** Runs every undo of `undos`, last first. */
export function undoAll(undos: readonly (Undo | undefined)[]): Undo | undefined {
  const stack = new UndoStack();
  for (const undo of undos) stack.push(undo);
  return stack.size === 0 ? undefined : () => stack.run();
}

/** Which interaction an acknowledging method answers, and what reports call the method. */
export interface Acknowledger {
  /** `interaction` (`interaction.reply`), `api.interactions` (`api.interactions.reply`). */
  prefix: string;
  interaction(self: object, args: readonly unknown[]): InteractionKey | undefined;
}

/** Methods of the interaction's own class (discord.js, Oceanic.js, Eris). */
const onInteraction: Acknowledger = { prefix: 'interaction', interaction: (self) => self };

/**
 * Patches the acknowledging methods a class has as its own (or copied onto it), so that the first
 * of them to run on an interaction marks its acknowledgement.
 */
export function patchAcknowledgers(proto: object | undefined, methods: readonly string[], events: ClientEvents, how: Acknowledger = onInteraction): Undo | undefined {
  return undoAll(methods.map((name) => {
    if (proto === undefined || !Object.prototype.hasOwnProperty.call(proto, name)) return undefined;
    const api = `${how.prefix}.${name}`;
    return wrapMethod(proto, name, (original) => {
      const wrapper = function (this: object, ...args: unknown[]): unknown {
        if (events.active) {
          const interaction = how.interaction(this, args);
          if (interaction !== undefined) events.interactions.acknowledging(interaction, api, wrapper);
        }
        return Reflect.apply(original, this, args);
      };
      return wrapper as AnyFunction;
    });
  }));
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

/** A handler's attributes, read only when a report or a span asks: the event's ids, the dispatch type and the shard. */
function attributeReader(spec: EmitSpec): AttributeReader {
  return (event, first, packet) => {
    const attrs: Record<string, AttributeValue> = first !== null && typeof first === 'object' ? spec.ids(event, first) : {};
    const p = packet as Packet | undefined;
    if (p?.t !== undefined) attrs['dispatch'] = p.t;
    if (p?.shard !== undefined) attrs['shard'] = p.shard;
    return attrs;
  };
}

/** Patches a client class' `emit` (own or inherited) so that its event listeners are handlers. */
export function patchEmit(proto: object | undefined, events: ClientEvents, spec: EmitSpec): Undo | undefined {
  const read = attributeReader(spec);
  const make = (original: AnyFunction): AnyFunction => {
    const emit = original as unknown as Emit;
    // The last event handled: a flood of one event skips the internal-events lookup.
    let handled: string | undefined;
    return function (this: Emitter, event: string | symbol, first?: unknown): boolean {
      if (!events.active) return Reflect.apply(emit, this, arguments) as boolean;
      // Libraries that capture listeners' rejections emit them as 'error': a call that strict
      // mode stopped was reported already and must not crash the bot.
      if (event === 'error' && isBlockingCallError(first)) return true;
      if (typeof event !== 'string' || (event !== handled && spec.internalEvents.has(event)) || this.listenerCount(event) === 0) {
        return Reflect.apply(emit, this, arguments) as boolean;
      }
      handled = event;
      const startedBy = events.startedBy;
      if (startedBy !== undefined) {
        const current = currentHandler();
        if (current !== undefined && startedBy.get(originOf(current)) === this) return emitWithin(this, emit, arguments, events.strict);
      }
      const context = eventContext(spec.source, event, read, first, events.packet);
      startedBy?.set(context, this);
      if (event === spec.interactionEvent && first !== null && typeof first === 'object') {
        const key = spec.interactionKey === undefined ? first : spec.interactionKey(first);
        if (key !== undefined) events.interactions.begin(context, key, spec.createdAt?.(first));
      }
      if (!events.strict) return runHandlerEvent(events.observers(), context, false, emitSettling, this, emit, arguments) as boolean;
      // A listener stopped by strict mode (reported already) must not break the library's packet handling.
      const args = arguments;
      return containingStops(() => runHandlerEvent(events.observers(), context, true, emitSettling, this, emit, args) as boolean, true);
    } as unknown as AnyFunction;
  };
  const undo = wrapMethod(proto, 'emit', make);
  return undo === undefined || proto === undefined ? undo : undoAll([undo, wrapOwnEmits(proto, make)]);
}

/*
 * Bun's EventEmitter gives an emitter made with captureRejections (discord.js' clients are) an
 * own `emit`, which hides the prototype's wrapper. On Bun the prototype's `emit` becomes an
 * accessor: its getter gives the wrapper, and its setter wraps what a constructor assigns to an
 * instance. Node's emitters assign nothing: there the prototype keeps a plain method.
 */
function wrapOwnEmits(proto: object, make: (original: AnyFunction) => AnyFunction): Undo | undefined {
  if (!onBun) return undefined;
  const own = Object.getOwnPropertyDescriptor(proto, 'emit');
  if (own === undefined || !('value' in own)) return undefined;
  let method: unknown = own.value;
  const getter = function (): unknown {
    return method;
  };
  Object.defineProperty(proto, 'emit', {
    configurable: true,
    enumerable: own.enumerable ?? false,
    get: getter,
    set(this: object, value: unknown) {
      if (this === proto) {
        method = value;
        return;
      }
      let own = value;
      if (typeof value === 'function' && !isWrapper(value)) {
        own = make(value as AnyFunction);
        mimic(own as Function, value);
      }
      Object.defineProperty(this, 'emit', { value: own, writable: true, configurable: true, enumerable: true });
    },
  });
  return () => {
    if (Object.getOwnPropertyDescriptor(proto, 'emit')?.get === getter) Object.defineProperty(proto, 'emit', { ...own, value: method });
  };
}

/**
 * An event the client emits inside one of its own handlers (a framework's): its listeners run in
 * the handler that runs. In strict mode each runs on its own, as the handler's own listeners do.
 */
function emitWithin(self: Emitter, emit: Emit, args: IArguments, strict: boolean): boolean {
  if (!strict) return Reflect.apply(emit, self, args) as boolean;
  return containingStops(() => emitSettling({ promises: [], handled: true, containStops: true }, self, emit, args) as boolean, true);
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
