import { describe, expect, it } from 'vitest';
import type { ObserverEntry } from '../../src/core/bus';
import { currentHandler, newHandlerContext } from '../../src/core/context';
import type { HandlerScope } from '../../src/core/reports';
import { runHandlerEvent, type Settling } from '../../src/handlers/lifecycle';

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
    runHandlerEvent([entry(scope)], context, (s) => {
      settling = s;
      expect(currentHandler()).toBe(context);
      s?.promises.push(failed);
    });
    expect(ran).toEqual(['scope']);
    expect(settling).toBeDefined();
    expect(ended).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toEqual([[new Error('a listener failed')]]);
  });

  it('with scopes that do not end (an unsampled span): the listeners run in them, and nothing follows their promises', () => {
    const ran: string[] = [];
    const scope: HandlerScope = { run: (fn) => { ran.push('scope'); return fn(); } };
    const context = newHandlerContext('test', 'e', {});
    const got = runHandlerEvent([entry(scope)], context, (s) => {
      expect(s).toBeUndefined();
      expect(currentHandler()).toBe(context);
      return 'result';
    });
    expect(got).toBe('result');
    expect(ran).toEqual(['scope']);
  });

  it('in strict mode without ending scopes: a Settling to contain stops, still', () => {
    const scope: HandlerScope = { run: (fn) => fn() };
    runHandlerEvent([entry(scope)], newHandlerContext('test', 'e', {}), (s) => {
      expect(s?.containStops).toBe(true);
    }, true);
  });
});
