import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { emitSettling } from '../../src/handlers/emit';
import type { Settling } from '../../src/handlers/lifecycle';

/*
 * emit replayed for one event, to keep what the listeners return: what the app sees must be what
 * node:events' own emit does — the same listeners (a snapshot), this, arguments, order, result,
 * errors, and captureRejections handling.
 */

const emitThrough = (emitter: EventEmitter, ...args: unknown[]) => {
  const settling: Settling = { promises: [], handled: true, containStops: false };
  const result = emitSettling(settling, emitter, EventEmitter.prototype.emit, args);
  return { result, settling };
};

describe('emit replayed for one event', () => {
  it('calls the listeners in order with this and the arguments, on a snapshot (a listener added meanwhile waits), and keeps their promises', () => {
    const emitter = new EventEmitter();
    const calls: string[] = [];
    const promise = Promise.resolve('async');
    emitter.on('message', function (this: unknown, a: unknown, b: unknown) {
      calls.push(`first ${this === emitter} ${String(a)} ${String(b)}`);
      emitter.on('message', () => calls.push('added meanwhile'));
    });
    emitter.on('message', () => promise);
    emitter.once('message', () => calls.push('once'));
    const { result, settling } = emitThrough(emitter, 'message', 1, 2);
    expect(result).toBe(true);
    expect(calls).toEqual(['first true 1 2', 'once']);
    expect(settling.promises).toEqual([promise]);
    expect(emitter.listenerCount('message')).toBe(3); // the once listener is gone, the new one stays
  });

  it('returns false for an event without listeners, and lets a listener\'s throw reach the caller', () => {
    const emitter = new EventEmitter();
    expect(emitThrough(emitter, 'nothing').result).toBe(false);
    emitter.on('boom', () => {
      throw new TypeError('boom');
    });
    expect(() => emitThrough(emitter, 'boom')).toThrow(TypeError);
  });

  it('with captureRejections, a rejection becomes the emitter\'s error event (as node:events does)', async () => {
    const emitter = new EventEmitter({ captureRejections: true });
    const errors: unknown[] = [];
    emitter.on('error', (error) => errors.push(error));
    const reason = new Error('rejected');
    emitter.on('message', async () => {
      throw reason;
    });
    const { settling } = emitThrough(emitter, 'message');
    expect(settling.handled).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(errors).toEqual([reason]);
  });
});
