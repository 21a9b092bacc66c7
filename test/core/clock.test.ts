import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { idleTime, now, timeOrigin } from '../../src/core/clock';

describe('the clock', () => {
  it('is performance.now(), from performance.timeOrigin', () => {
    const before = performance.now();
    const read = now();
    const after = performance.now();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(after);
    expect(timeOrigin()).toBe(performance.timeOrigin);
    expect(Math.abs(timeOrigin() + now() - Date.now())).toBeLessThan(50);
  });

  it('reads Node\'s loop idle time', () => {
    const read = idleTime();
    expect(read).toBeGreaterThanOrEqual(0);
    expect(read).toBeLessThanOrEqual(performance.nodeTiming.idleTime);
  });
});
