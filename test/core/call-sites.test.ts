import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callersOf } from '../../src/core/call-sites';
import { Scratch } from '../support/scratch';

/* Who called a blocking API, read from real V8 call sites. */

let scratch: Scratch | undefined;
afterEach(() => {
  scratch?.remove();
  scratch = undefined;
});

function blockingApi(): ReturnType<typeof callersOf> {
  return callersOf(blockingApi);
}

/** The line its caller is on. */
function lineHere(): number {
  return Number(new Error().stack?.split('\n')[2]?.match(/:(\d+):\d+\)?$/)?.[1]);
}

describe('callersOf', () => {
  it('reads the one frame of its caller when that is the user\'s line (deeper stacks cost V8 far more)', () => {
    const [callers, line] = [blockingApi(), lineHere()];
    expect(callers.frames).toHaveLength(1);
    expect(callers.site).toMatchObject({ file: __filename, line });
    expect(callers.origin).toBe(callers.site);
    expect(callers.via).toBeUndefined();
    expect(callers.moduleLoad).toBeUndefined();
  });

  it('reads deeper when the caller is a dependency\'s: the user\'s line that called into it, and the package', () => {
    scratch = new Scratch();
    const dir = scratch.path('node_modules/dep');
    mkdirSync(dir, { recursive: true });
    const dep = scratch.file('node_modules/dep/index.js', 'module.exports = function dep(api) { return api(); };');
    const viaDep = createRequire(dep)(dep) as (api: () => unknown) => ReturnType<typeof callersOf>;
    const [callers, line] = [viaDep(blockingApi), lineHere()];
    expect(callers.frames.length).toBeGreaterThan(1);
    expect(callers.origin).toMatchObject({ file: join(dir, 'index.js') });
    expect(callers.via).toBe('dep');
    expect(callers.site).toMatchObject({ file: __filename, line });
  });
});
