import { describe, expect, it } from 'vitest';
import type { ObserverEntry } from '../../src/core/bus';
import { currentHandler, newHandlerContext } from '../../src/core/context';
import type { HandlerScope } from '../../src/core/reports';
import { runHandlerEvent, type Settling } from '../../src/handlers/lifecycle';

const unused = (): void => {};
const neverInvoked = (): never => {
  throw new Error('invoke runs only when someone waits for the event\'s work');
};
const entry = (scope: HandlerScope | undefined): ObserverEntry => ({ observer: { start: () => scope }, onError: (error) => { throw error; } });

describe('a handled event\'s life', () => {
  it('with a scope that ends: the listeners\' promises are followed, and the scope ends once they settle, with their errors', async () => {
    const ended: unknown[][] = [];
    const ran: string[] = [];
    const scope: HandlerScope = { run: (fn) => { ran.push('scope'); return fn(); }, end: (errors) => ended.push([...errors]) };
    const context = newHandlerContext('test', 'e', {});
    let settling: Settling | undefined;
    const failed = Promise.reject(new Error('a listener failed'));
    failed.catch(() => {});
    runHandlerEvent([entry(scope)], context, false, (s: Settling) => {
      settling = s;
      expect(currentHandler()).toBe(context);
      s.promises.push(failed);
    }, undefined, unused, []);
    expect(ran).toEqual(['scope']);
    expect(settling).toBeDefined();
    expect(ended).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toEqual([[new Error('a listener failed')]]);
  });

  it('with scopes that do not end (an unsampled span): the listeners run in them, called as they are, and nothing follows their promises', () => {
    const ran: string[] = [];
    const scope: HandlerScope = { run: (fn) => { ran.push('scope'); return fn(); } };
    const context = newHandlerContext('test', 'e', {});
    const self = { name: 'emitter' };
    const fn = function (this: unknown, ...args: unknown[]) { return [this, args, currentHandler()]; };
    const got = runHandlerEvent([entry(scope)], context, false, neverInvoked, self, fn, ['a', 1]);
    expect(got).toEqual([self, ['a', 1], context]);
    expect(ran).toEqual(['scope']);
    // Two: nested, the first observer's outermost.
    const inner: HandlerScope = { run: (f) => { ran.push(`inner, in ${ran.at(-1)}`); return f(); } };
    ran.length = 0;
    expect(runHandlerEvent([entry(scope), entry(inner)], context, false, neverInvoked, self, fn, ['b'])).toEqual([self, ['b'], context]);
    expect(ran).toEqual(['scope', 'inner, in scope']);
  });

  it('in strict mode without ending scopes: a Settling to contain stops, still', () => {
    const scope: HandlerScope = { run: (fn) => fn() };
    let settling: Settling | undefined;
    runHandlerEvent([entry(scope)], newHandlerContext('test', 'e', {}), true, (s: Settling) => {
      settling = s;
    }, undefined, unused, []);
    expect(settling?.containStops).toBe(true);
  });

  it('without observers: the event\'s function runs on its self with its arguments inside the context, and no Settling is made', () => {
    const context = newHandlerContext('test', 'e', {});
    const self = { name: 'emitter' };
    const fn = function (this: unknown, ...args: unknown[]) { return [this, args, currentHandler()]; };
    const got = runHandlerEvent([], context, false, neverInvoked, self, fn, ['a', 1]);
    expect(got).toEqual([self, ['a', 1], context]);
    expect(currentHandler()).toBeUndefined();
  });

  it('without observers, in strict mode: invoke gets the event\'s self, function and arguments and a Settling that contains stops', () => {
    const context = newHandlerContext('test', 'e', {});
    const self = { name: 'emitter' };
    const fn = function (this: unknown, ...args: unknown[]) { return [this, args, currentHandler()]; };
    const got = runHandlerEvent([], context, true, (s: Settling, target: object, f: typeof fn, args: readonly unknown[]) => {
      expect(s.containStops).toBe(true);
      return Reflect.apply(f, target, args);
    }, self, fn, ['a', 1]);
    expect(got).toEqual([self, ['a', 1], context]);
  });
});
