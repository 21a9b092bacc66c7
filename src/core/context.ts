import { AsyncLocalStorage } from 'node:async_hooks';
import { inspect } from 'node:util';
import { kHandlerStorage } from './symbols';

export type AttributeValue = string | number | boolean;

/** Describes a handler when entering one. */
export interface HandlerInfo {
  /** Who emits the event: `discord.js`, `EventEmitter`, your own name. */
  source?: string;
  /** The event, e.g. `messageCreate`. */
  event: string;
  /** Ids and other small facts (shard, guild, channel). Never message content or tokens. */
  attributes?: Record<string, AttributeValue | undefined>;
}

/** The handler context that code inside a handler sees (also after `await` and in its timers). */
export interface HandlerContext {
  readonly id: number;
  readonly source: string;
  readonly event: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Inside `allowBlocking()`: blocking calls are accepted here. */
  readonly allowBlocking: boolean;
  /** `source` and `event` in one string: what per-handler-kind tables are keyed by. */
  readonly kind: string;
  /**
   * The handler this context continues, when it is a part of one (a bot framework's command or
   * listener inside the gateway event's handler, with more attributes): what state kept per
   * handled event (its interaction, its span) is found by. Undefined for a handler's own context.
   */
  readonly origin?: HandlerContext;
}

type WithStorage = typeof globalThis & { [kHandlerStorage]?: AsyncLocalStorage<HandlerContext> };
const holder = globalThis as WithStorage;
/** One store per process, shared by every copy of loopguard that is loaded. */
export const handlerStorage: AsyncLocalStorage<HandlerContext> = (holder[kHandlerStorage] ??= new AsyncLocalStorage());

/**
 * Runs `fn` outside any handler context: loopguard's own work (timers, sinks, threads) is never a
 * handler's. Not `exit()`: before AsyncContextFrame (Node < 24) it disables the storage and
 * enables it again, which takes Node's promise hooks out and puts them back — per call, when sinks
 * observe every call.
 */
export function outsideHandlers<R>(fn: () => R): R {
  return handlerStorage.run(undefined as unknown as HandlerContext, fn);
}

let nextId = 1;

function cleanAttributes(attributes: HandlerInfo['attributes']): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (attributes === undefined || attributes === null || typeof attributes !== 'object') return out;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}

/**
 * Reads a handler's attributes from what its event carried (an integration's ids of the event's
 * first argument and its gateway packet): called at most once, when a report or a span needs them.
 */
export type AttributeReader = (event: string, subject: unknown, packet: unknown) => Record<string, AttributeValue>;

const given: AttributeReader = (_event, subject) => subject as Record<string, AttributeValue>;

/*
 * One is made per handled event, most of which nothing reads: the ids are read from the event's
 * objects (immutable for the handler's life) and the kind is looked up only when asked. No clock
 * is read (40-55 ns a handled event here): what needs a handler's start takes it there (the
 * OpenTelemetry sink's span, an interaction's acknowledgement deadline, a sink's `start`).
 */
class Context implements HandlerContext {
  // Declared, and each set once in the constructor: class fields are defined one by one, some
  // 200 instructions more per handled event (Node 20).
  declare readonly id: number;
  declare readonly source: string;
  declare readonly event: string;
  declare readonly allowBlocking: boolean;
  declare private read: AttributeReader | undefined;
  declare private subject: unknown;
  declare private packet: unknown;
  declare private attrs: Readonly<Record<string, AttributeValue>> | undefined;
  declare private kindCache: string | undefined;
  declare readonly origin: HandlerContext | undefined;

  constructor(source: string, event: string, read: AttributeReader, subject: unknown, packet: unknown, allowBlocking: boolean) {
    this.id = nextId++;
    this.source = source;
    this.event = event;
    this.allowBlocking = allowBlocking;
    this.read = read;
    this.subject = subject;
    this.packet = packet;
    this.attrs = undefined;
    this.kindCache = undefined;
    this.origin = undefined;
  }

  get attributes(): Readonly<Record<string, AttributeValue>> {
    if (this.attrs === undefined) {
      const read = this.read as AttributeReader;
      const subject = this.subject;
      const packet = this.packet;
      // Let go of the event's objects: the attributes are all that is kept of them.
      this.read = this.subject = this.packet = undefined;
      let attrs: Readonly<Record<string, AttributeValue>>;
      try {
        attrs = read(this.event, subject, packet);
      } catch {
        attrs = {}; // a getter of the app's that throws: no ids, never an error in the app
      }
      this.attrs = attrs;
    }
    return this.attrs;
  }

  get kind(): string {
    return this.kindCache ??= kindOf(this.source, this.event);
  }

  /** The same handler (one id, one start, one kind) with other attributes or blocking accepted. */
  derive(changes: Changes): HandlerContext {
    const { attributes, ...rest } = changes;
    const attrs = attributes ?? this.attributes; // read now: the copy keeps them, not the event's objects
    return Object.assign(Object.create(Context.prototype) as Context, this, rest, { attrs, read: undefined, subject: undefined, packet: undefined });
  }

  /** What `JSON.stringify` and `console.log` show: the public fields, never the event's objects. */
  toJSON(): HandlerContext {
    const { id, source, event, attributes, allowBlocking, kind, origin } = this;
    return { id, source, event, attributes, allowBlocking, kind, ...(origin === undefined ? {} : { origin }) };
  }

  [inspect.custom](): HandlerContext {
    return this.toJSON();
  }
}

interface Changes {
  attributes?: Readonly<Record<string, AttributeValue>>;
  allowBlocking?: boolean;
  origin?: HandlerContext;
}

/** `current` with `changes`; another copy of loopguard (the store is shared) may have made it: its own method, else its fields. */
function derive(current: HandlerContext, changes: Changes): HandlerContext {
  if (typeof (current as Partial<Context>).derive === 'function') return (current as Context).derive(changes);
  return { ...current, attributes: current.attributes, kind: current.kind, ...changes };
}

/**
 * What one part of loopguard keeps per handled event (the OpenTelemetry sink's span, an
 * interaction waiting for its acknowledgement), found again from the handler's context. Kept on
 * the context object itself under a private symbol, for as long as the context lives: a WeakMap
 * entry per event would cost about a microsecond in V8 (its ephemeron table), more than the rest
 * of a handled event. Look a part's context up by `originOf`, the handler it continues.
 */
export class HandlerState<T> {
  private readonly key = Symbol('loopguard handler state');

  get(context: HandlerContext): T | undefined {
    return (context as unknown as Record<symbol, T | undefined>)[this.key];
  }

  set(context: HandlerContext, value: T): void {
    (context as unknown as Record<symbol, T>)[this.key] = value;
  }
}

/** A context from what the app says of its handler (`runInHandler`, `track`). */
export function contextFromInfo(info: HandlerInfo, allowBlocking = false): HandlerContext {
  return new Context(info.source ?? 'app', String(info.event), given, cleanAttributes(info.attributes), undefined, allowBlocking);
}

/** For tests and integrations that have the attributes already. */
export function newHandlerContext(
  source: string, event: string, attributes: Readonly<Record<string, AttributeValue>>, allowBlocking = false,
): HandlerContext {
  return new Context(source, event, given, attributes, undefined, allowBlocking);
}

/**
 * For integrations: the context of one handled event, its attributes read by `read(event,
 * subject, packet)` only if something asks for them.
 */
export function eventContext(source: string, event: string, read: AttributeReader, subject: unknown, packet: unknown): HandlerContext {
  return new Context(source, event, read, subject, packet, false);
}

/*
 * One `kind` string per source and event, not one per handled event: the tables keyed by it
 * (sampling, metrics) then hash a string whose hash is known instead of a new one each time. A
 * cache, never reset: the same source and event always give the same string.
 */
const kinds = new Map<string, Map<string, string>>();
const kindCap = 10_000;
let kindCount = 0;

/** The last kind asked for: a bot's events are mostly one or two kinds in a row. */
let last = { source: '', event: '', kind: '' };

function kindOf(source: string, event: string): string {
  if (event === last.event && source === last.source) return last.kind;
  const kind = kindFromTable(source, event);
  last = { source, event, kind };
  return kind;
}

function kindFromTable(source: string, event: string): string {
  let bySource = kinds.get(source);
  const known = bySource?.get(event);
  if (known !== undefined) return known;
  const kind = `${source}\0${event}`;
  if (kindCount >= kindCap) return kind; // event names made of ids: not worth keeping
  if (bySource === undefined) kinds.set(source, bySource = new Map());
  bySource.set(event, kind);
  kindCount++;
  return kind;
}

/** The handler context `context` is a part of (itself, when it is a handler's own). */
export function originOf(context: HandlerContext): HandlerContext {
  return context.origin ?? context;
}

/**
 * Runs `fn` as a part of the handler that runs now, with `attributes` added to its own (a bot
 * framework's command, listener or component, named in the framework's words): still the same
 * handled event, the same kind, the same interaction. Outside a handler it just runs `fn`.
 */
export function continueHandler<R>(attributes: Readonly<Record<string, AttributeValue>>, fn: () => R): R {
  const current = handlerStorage.getStore();
  if (current === undefined) return fn();
  const part = derive(current, { attributes: { ...current.attributes, ...attributes }, origin: originOf(current) });
  return handlerStorage.run(part, fn);
}

/**
 * Runs `fn` with blocking calls accepted (a scoped escape hatch), including what it awaits and
 * schedules. Outside a handler it just runs `fn`.
 */
export function allowBlocking<R>(fn: () => R): R {
  const current = handlerStorage.getStore();
  const allowed = current === undefined
    ? contextFromInfo({ source: 'loopguard', event: 'allowBlocking' }, true)
    : derive(current, { allowBlocking: true, origin: originOf(current) });
  return handlerStorage.run(allowed, fn);
}

/** The handler the current code runs in, if any. */
export function currentHandler(): HandlerContext | undefined {
  return handlerStorage.getStore();
}
