import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bus } from '../../src/core/bus';
import { defaults } from '../../src/config/settings';
import { Guard } from '../../src/guard/guard';

/** The guard's timer, for the tests that look at it (private: nothing else needs it). */
const clockOf = (guard: Guard) => (guard as unknown as { clock: NodeJS.Timeout | undefined }).clock;

describe('the sampling clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks once a second from startClock on, and stops at deactivate', () => {
    vi.useFakeTimers();
    const guard = new Guard(new Bus(), defaults);
    vi.advanceTimersByTime(5000);
    expect(guard.second).toBe(0);
    guard.startClock();
    guard.startClock(); // one timer, however often it is asked
    vi.advanceTimersByTime(3500);
    expect(guard.second).toBe(3);
    expect(vi.getTimerCount()).toBe(1);
    guard.deactivate();
    vi.advanceTimersByTime(5000);
    expect(guard.second).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    guard.startClock(); // a retired guard starts nothing again
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive', () => {
    const guard = new Guard(new Bus(), defaults);
    guard.startClock();
    try {
      expect(clockOf(guard)?.hasRef()).toBe(false);
    } finally {
      guard.deactivate();
    }
    expect(clockOf(guard)).toBeUndefined();
  });
});
