import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** `Date.now()` when the handler started. */
  readonly startedAt: number;
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

/** Runs `fn` outside any handler context: loopguard's own work (timers, sinks, threads) is never a handler's. */
export function outsideHandlers<R>(fn: () => R): R {
  return handlerStorage.exit(fn);
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

/** A context from what the app says of its handler (`runInHandler`, `track`). */
export function contextFromInfo(info: HandlerInfo, allowBlocking = false): HandlerContext {
  return newHandlerContext(info.source ?? 'app', String(info.event), cleanAttributes(info.attributes), allowBlocking);
}

/**
 * For integrations, which build `attributes` from known string and number fields themselves.
 * One is made per handled event, so it stays small: no freezing, no copying.
 */
export function newHandlerContext(
  source: string, event: string, attributes: Readonly<Record<string, AttributeValue>>, allowBlocking = false,
): HandlerContext {
  return { id: nextId++, source, event, attributes, startedAt: Date.now(), allowBlocking, kind: kindOf(source, event) };
}

/*
 * One `kind` string per source and event, not one per handled event: the tables keyed by it
 * (sampling, metrics) then hash a string whose hash is known instead of a new one each time. A
 * cache, never reset: the same source and event always give the same string.
 */
const kinds = new Map<string, Map<string, string>>();
const kindCap = 10_000;
let kindCount = 0;

function kindOf(source: string, event: string): string {
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
 * `attributes` is shared, not copied: made once per part, not per call.
 */
export function continueHandler<R>(attributes: Readonly<Record<string, AttributeValue>>, fn: () => R): R {
  const current = handlerStorage.getStore();
  if (current === undefined) return fn();
  const part: HandlerContext = { ...current, attributes: { ...current.attributes, ...attributes }, origin: originOf(current) };
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
    : { ...current, allowBlocking: true, origin: originOf(current) };
  return handlerStorage.run(allowed, fn);
}

/** The handler the current code runs in, if any. */
export function currentHandler(): HandlerContext | undefined {
  return handlerStorage.getStore();
}
