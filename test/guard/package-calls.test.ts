import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ApiEntry } from '../../src/apis/types';
import { defaults } from '../../src/config/settings';
import { Bus } from '../../src/core/bus';
import { contextFromInfo, handlerStorage } from '../../src/core/context';
import type { Occurrence } from '../../src/core/occurrence';
import type { AnyFunction } from '../../src/core/patch';
import { Guard } from '../../src/guard/guard';
import { currentPackageCall, packageCallWrapper } from '../../src/guard/package-calls';
import { apiWrapper } from '../../src/guard/wrapper';

/*
 * A package call's lifetime on one Guard, with a package API of the test's own (the real ones,
 * quick.db over better-sqlite3, are in package-apis.test.ts): a blocking call looks for the
 * package call it is part of only while one is open, so every call opened must be closed.
 */

const entry = (api: string, async: boolean): ApiEntry => ({
  api, module: 'pkg', path: [api], wraps: 'fs', async, kind: 'database', alternative: 'the async API',
});

function setup() {
  const bus = new Bus();
  const guard = new Guard(bus, defaults);
  const seen: Occurrence[] = [];
  bus.occurrences.add((o) => seen.push(o));
  const stat = apiWrapper(guard, guard.add({ api: 'fs.statSync', module: 'fs', path: ['statSync'], kind: 'file-system', alternative: 'fs.promises.stat' }), fs.statSync as AnyFunction);
  return { guard, seen, stat };
}
const handler = <R>(fn: () => R): R => handlerStorage.run(contextFromInfo({ source: 'test', event: 'e' }), fn);

describe('package calls', () => {
  it('count as open from the call until it returns, throws or its promise settles', async () => {
    const { guard, seen, stat } = setup();
    const sync = packageCallWrapper(guard, guard.add(entry('pkg.get', false)), () => {
      expect(guard.openPackageCalls).toBe(1);
      stat(__filename);
      return 1;
    });
    const failing = packageCallWrapper(guard, guard.add(entry('pkg.fail', false)), () => {
      stat(__filename);
      throw new Error('no');
    });
    const later = packageCallWrapper(guard, guard.add(entry('pkg.set', true)), async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      stat(__filename);
      return 2;
    });
    await handler(async () => {
      expect(sync()).toBe(1);
      expect(() => failing()).toThrow('no');
      const pending = later() as Promise<number>;
      expect(guard.openPackageCalls).toBe(1);
      expect(await pending).toBe(2);
    });
    expect(guard.openPackageCalls).toBe(0);
    expect(seen.map((o) => [o.api, 'via' in o ? o.via : undefined])).toEqual([
      ['pkg.get', 'pkg → fs'], ['pkg.fail', 'pkg → fs'], ['pkg.set', 'pkg → fs'],
    ]);
  });
  it('a blocking call outside any open one is judged on its own (no package call is looked up)', () => {
    const { guard, seen, stat } = setup();
    handler(() => stat(__filename));
    expect(guard.openPackageCalls).toBe(0);
    expect(currentPackageCall(guard)).toBeUndefined();
    expect(seen.map((o) => o.api)).toEqual(['fs.statSync']);
  });
});
