import type { EventEmitter } from 'node:events';
import { contextFromInfo, type HandlerInfo } from '../core/context';
import { ConfigError } from '../core/errors';
import { kTracked } from '../core/symbols';
import { emitSettling } from './emit';
import { runHandlerEvent, type Observers } from './lifecycle';

export interface TrackOptions {
  /** Shown as the handler's source; defaults to the emitter's class name. */
  source?: string;
  /** Only these events are handlers (default: all but the emitter's bookkeeping events). */
  events?: readonly (string | symbol)[];
  /** Events whose listeners are not handlers. */
  ignore?: readonly (string | symbol)[];
  /** Extra attributes for every handler of this emitter, or a function of the event's arguments. */
  attributes?: HandlerInfo['attributes'] | ((event: string, args: readonly unknown[]) => HandlerInfo['attributes']);
}

const bookkeeping: ReadonlySet<string | symbol> = new Set(['newListener', 'removeListener']);

type Emit = EventEmitter['emit'];
type Tracked = { [kTracked]?: Emit };

/**
 * Every listener of `emitter` runs inside a handler context named by the event.
 * Returns a function that undoes it. Tracking an emitter twice keeps the first tracking.
 */
export function trackEmitter(observers: Observers, emitter: Pick<EventEmitter, 'emit'>, options: TrackOptions = {}, strict: () => boolean = () => false): () => void {
  const target = emitter as Pick<EventEmitter, 'emit'> & Tracked;
  if (target[kTracked] !== undefined) return () => {};
  const original = target.emit;
  const hadOwnEmit = Object.prototype.hasOwnProperty.call(target, 'emit');
  for (const key of ['events', 'ignore'] as const) {
    const list = options[key];
    if (list !== undefined && !Array.isArray(list)) {
      throw new ConfigError(`track ${key}`, `loopguard: invalid track() option ${key} ${JSON.stringify(list)}; accepted: an array of event names (e.g. ['${String(list)}'])`);
    }
  }
  const source = options.source ?? (emitter.constructor?.name || 'EventEmitter');
  const only = options.events === undefined ? undefined : new Set(options.events);
  const ignore = new Set([...bookkeeping, ...(options.ignore ?? [])]);
  const attributes = options.attributes;

  const emit = function emit(this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (ignore.has(event) || (only !== undefined && !only.has(event))) {
      return Reflect.apply(original, this, arguments) as boolean;
    }
    const name = String(event);
    const attrs = typeof attributes === 'function' ? attributes(name, args) : attributes;
    const context = contextFromInfo({ source, event: name, attributes: attrs });
    return runHandlerEvent(observers(), context, strict(), emitSettling, this, original, arguments) as boolean;
  };
  target.emit = emit;
  target[kTracked] = original;
  return () => {
    if (target.emit === emit) {
      if (hadOwnEmit) target.emit = original;
      else delete (target as Partial<Pick<EventEmitter, 'emit'>>).emit;
    }
    delete target[kTracked];
  };
}
