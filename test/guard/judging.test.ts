import { describe, expect, it } from 'vitest';
import { eventContext, handlerStorage, type HandlerContext } from '../../src/core/context';
import type { Guard } from '../../src/guard/guard';
import { judgingWrapper, type Judged } from '../../src/guard/judging';
import type { AnyFunction } from '../../src/core/patch';

/*
 * The wrapper prologue every guarded API shares: outside handlers the original, inside either the
 * original as it is (runsAsIs: most calls at a hot site) or the full judgement.
 */

const guardOf = (): Guard => ({ judgesAll: false, active: true, depth: 0 }) as unknown as Guard;
const context = eventContext('test', 'event', () => ({}), undefined, undefined);
const inHandler = <R>(fn: () => R): R => handlerStorage.run(context, fn);

interface Seen {
  self: unknown;
  args: unknown[];
  depth: number;
}

function setUp(asIs: boolean): { guard: Guard; wrapper: AnyFunction; seen: Seen[]; asked: (HandlerContext | undefined)[]; judged: Parameters<Judged>[] } {
  const guard = guardOf();
  const seen: Seen[] = [];
  const asked: (HandlerContext | undefined)[] = [];
  const judged: Parameters<Judged>[] = [];
  const original = function (this: unknown, ...args: unknown[]): string {
    seen.push({ self: this, args, depth: guard.depth });
    return 'result';
  };
  const wrapper = judgingWrapper(guard, original, (handler) => {
    asked.push(handler);
    return asIs;
  }, (...call) => {
    judged.push(call);
    return 'judged';
  }, 'api');
  return { guard, wrapper, seen, asked, judged };
}

describe('a guarded API\'s wrapper', () => {
  const self = { name: 'receiver' };

  it('outside handlers calls the original with the call\'s receiver and arguments, and asks nothing', () => {
    const { wrapper, seen, asked, judged } = setUp(false);
    expect(Reflect.apply(wrapper, self, ['a', 2])).toBe('result');
    expect(seen).toEqual([{ self, args: ['a', 2], depth: 0 }]);
    expect(asked).toEqual([]);
    expect(judged).toEqual([]);
  });

  it('in a handler, runs a call that runs as it is as one guarded call (calls inside it are nested), without judging it', () => {
    const { guard, wrapper, seen, asked, judged } = setUp(true);
    expect(inHandler(() => Reflect.apply(wrapper, self, ['a', 2]))).toBe('result');
    expect(seen).toEqual([{ self, args: ['a', 2], depth: 1 }]);
    expect(guard.depth).toBe(0);
    expect(asked).toEqual([context]);
    expect(judged).toEqual([]);
  });

  it('in a handler, judges any other call: its receiver, its arguments, the handler and the wrapper', () => {
    const { wrapper, seen, asked, judged } = setUp(false);
    expect(inHandler(() => Reflect.apply(wrapper, self, ['a', 2, undefined]))).toBe('judged');
    expect(seen).toEqual([]);
    expect(asked).toEqual([context]);
    expect(judged).toEqual([[self, ['a', 2, undefined], context, wrapper]]);
  });

  it('gives the guard its depth back when the original throws, and the error reaches the caller as thrown', () => {
    const guard = guardOf();
    const thrown = new TypeError('bad');
    const wrapper = judgingWrapper(guard, () => {
      throw thrown;
    }, () => true, () => undefined);
    expect(() => inHandler(() => wrapper())).toThrow(thrown);
    expect(guard.depth).toBe(0);
  });

  it('judges nothing for an inactive guard', () => {
    const { guard, wrapper, seen, asked } = setUp(false);
    (guard as { active: boolean }).active = false;
    expect(inHandler(() => wrapper('x'))).toBe('result');
    expect(seen).toEqual([{ self: undefined, args: ['x'], depth: 0 }]);
    expect(asked).toEqual([]);
  });
});
