import { describe, expect, it } from 'vitest';
import { stalledTime } from '../../src/watchdog/watchdog';

/* What a beat counts as stalled: busy time, minus wrapped calls' own reports, minus waits for a CPU. */

describe('the stalled time between two beats', () => {
  it('is the busy time no wrapped call reported, without the waits for a CPU', () => {
    expect(stalledTime(1500, 0, 500)).toEqual({ stalledMs: 1000, waitedHereMs: 500 });
    expect(stalledTime(1200, 1000, 0)).toEqual({ stalledMs: 200, waitedHereMs: 0 });
  });

  it('leaves the waits during a wrapped call to that call (its report timed them): a spin after a blocking call on a busy host is still seen', () => {
    // 1000 ms pbkdf2Sync and a 600 ms spin, each waiting as long again for a CPU: 3200 ms busy,
    // the call reported 2000. Taking all 1600 ms of waits from the rest would leave nothing.
    const { stalledMs, waitedHereMs } = stalledTime(3200, 2000, 1600);
    expect(waitedHereMs).toBeCloseTo(600, 9);
    expect(stalledMs).toBeCloseTo(600, 9);
  });

  it('is never negative, and without a wait figure (not Linux) counts the waits in', () => {
    expect(stalledTime(100, 300, 50).stalledMs).toBe(0);
    expect(stalledTime(800, 0, undefined)).toEqual({ stalledMs: 800, waitedHereMs: undefined });
  });
});
