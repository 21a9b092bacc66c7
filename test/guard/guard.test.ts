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

  it('ticks once a second while calls read it, and stops at deactivate', () => {
    vi.useFakeTimers();
    const guard = new Guard(new Bus(), defaults);
    vi.advanceTimersByTime(5000);
    expect(guard.second).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // no call has read it yet
    for (let i = 0; i < 3; i++) {
      guard.readingSeconds();
      guard.readingSeconds(); // one timer, however often it is read
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1000);
    }
    expect(guard.second).toBe(3);
    guard.readingSeconds();
    guard.deactivate();
    vi.advanceTimersByTime(5000);
    expect(guard.second).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    guard.readingSeconds(); // a retired guard starts nothing again
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops after a second that no call read, and the next call reads a second no call saw before', () => {
    vi.useFakeTimers();
    const guard = new Guard(new Bus(), defaults);
    guard.readingSeconds();
    const read = [guard.second];
    vi.advanceTimersByTime(1000); // a tick of a read second: a new one begins
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000); // a second nobody read: the clock stops
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000); // idle: nothing wakes the loop for it
    expect(guard.second).toBe(2);
    guard.readingSeconds();
    read.push(guard.second);
    expect(read).toEqual([0, 2]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(guard.second).toBe(3);
    guard.deactivate();
  });

  it('does not keep the process alive', () => {
    const guard = new Guard(new Bus(), defaults);
    guard.readingSeconds();
    try {
      expect(clockOf(guard)?.hasRef()).toBe(false);
    } finally {
      guard.deactivate();
    }
    expect(clockOf(guard)).toBeUndefined();
  });
});
