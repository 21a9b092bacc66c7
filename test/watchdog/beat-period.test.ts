import { describe, expect, it } from 'vitest';
import { beatPeriod } from '../../src/watchdog/watchdog';

/* The heartbeat's period: the busy pace while the loop works, slower while it only waits. */

describe('the heartbeat period', () => {
  it('doubles while the loop was idle since the last beat, up to 45 % of the stall threshold', () => {
    // 1,000 ms threshold: 100 ms while busy; idle beats (0.3 ms of work each) go 200, 400, 450, 450.
    let period = 100;
    const periods = [];
    for (let i = 0; i < 4; i++) periods.push(period = beatPeriod(period, period, 0.3, 100, 1000));
    expect(periods).toEqual([200, 400, 450, 450]);
  });

  it('comes back to the busy pace at once after any work: 2 % of the gap, or 1 ms', () => {
    expect(beatPeriod(450, 450, 9, 100, 1000)).toBe(100);
    expect(beatPeriod(450, 450, 8.9, 100, 1000)).toBe(450);
    expect(beatPeriod(200, 200, 4, 100, 1000)).toBe(100);
    expect(beatPeriod(20, 20, 1, 20, 200)).toBe(20);
    // A stall (the loop busy for the whole gap) too.
    expect(beatPeriod(450, 1800, 1350, 100, 1000)).toBe(100);
  });

  it('never beats slower than the busy pace, whatever the threshold', () => {
    // 50 ms, the lowest threshold: 10 ms busy, 22 ms idle.
    expect(beatPeriod(10, 10, 0, 10, 50)).toBe(20);
    expect(beatPeriod(20, 20, 0, 10, 50)).toBe(22);
    // An hour: 500 ms busy (the busy pace's cap), 27 minutes idle at most.
    expect(beatPeriod(500, 500, 0, 500, 3_600_000)).toBe(1000);
    expect(beatPeriod(1_620_000, 1_620_000, 0, 500, 3_600_000)).toBe(1_620_000);
  });
});
