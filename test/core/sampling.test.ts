import { describe, expect, it } from 'vitest';
import {
  countUnsampled, newSamplingState, pick, readStack, sawTime, slowCallMs, timedPerRead, untimed, type SamplingState,
} from '../../src/core/sampling';

const hot = 50;

/**
 * One second of `calls` calls at a hot site, as the guard makes them: each picked, the timed ones
 * timed (`durationOf(i)` ms), the others counted. Returns what the state estimates and the truth.
 */
function second(state: SamplingState, calls: number, durationOf: (i: number) => number, start = 1000 * (1 + Math.random())) {
  let stacks = 0;
  let timed = 0;
  let unsampledTrueMs = 0;
  let unsampledCount = 0;
  let unsampledMs = 0;
  for (let i = 0; i < calls; i++) {
    const picked = pick(state, hot);
    const d = durationOf(i);
    if (picked === readStack) {
      stacks++;
      timed++;
      sawTime(state, i === 0 ? start : start + 1, d, false);
      continue;
    }
    unsampledTrueMs += d;
    unsampledCount++;
    if (picked !== untimed) {
      timed++;
      sawTime(state, start + 1, d, false);
    }
    countUnsampled(state, d, picked);
    // Given to a site now and then, as the dispatcher does at the next sampled call.
    if (i % 997 === 0) {
      unsampledMs += state.unsampledMs;
      state.unsampledCount = state.unsampledMs = 0;
    }
  }
  unsampledMs += state.unsampledMs;
  return { stacks, timed, unsampledTrueMs, unsampledCount, unsampledMs };
}

describe('pick', () => {
  it('reads the stack for the first `hot` calls of a second, and times every call up to hot × timedPerRead', () => {
    const state = newSamplingState();
    const picks = Array.from({ length: hot * timedPerRead }, () => pick(state, hot));
    expect(picks.slice(0, hot).every((p) => p === readStack)).toBe(true);
    expect(picks.slice(hot).every((p) => p === readStack || p === 1)).toBe(true);
    expect(picks.slice(hot).filter((p) => p === readStack).length).toBeGreaterThan(0);
  });
  it('leaves most calls of a fast hot site untimed, the timed ones weighted by the chance of being timed', () => {
    const state = newSamplingState();
    const r = second(state, 20_000, () => 0.002);
    // About hot·timedPerRead·(1 + ln(20000 / 200)) = 1121 timed calls; 5 % of them is the spread.
    expect(r.timed).toBeGreaterThan(800);
    expect(r.timed).toBeLessThan(1600);
    expect(r.stacks).toBeLessThan(r.timed);
    for (let n = 0; n < 1000; n++) {
      const p = pick(state, hot);
      expect(p === readStack || p === untimed || p > 1).toBe(true);
    }
  });
  it('reads every stack with sampleAbove off (hot = Infinity)', () => {
    const state = newSamplingState();
    expect(Array.from({ length: 5000 }, () => pick(state, Infinity)).every((p) => p === readStack)).toBe(true);
  });
});

describe('the estimated time of the unsampled calls', () => {
  it('is unbiased: twenty seconds of 20,000 calls each come within a few per cent of the true total', () => {
    let estimated = 0;
    let truth = 0;
    for (let s = 0; s < 20; s++) {
      // Durations that change through the second (later calls slower): timed late calls must weigh more.
      const r = second(newSamplingState(), 20_000, (i) => 0.001 + (i / 20_000) * 0.004);
      estimated += r.unsampledMs;
      truth += r.unsampledTrueMs;
    }
    // One second's estimate spreads by about 1/sqrt(2 · hot · timedPerRead) = 5 %; twenty by 1.1 %.
    expect(Math.abs(estimated / truth - 1)).toBeLessThan(0.06);
  });
  it('counts every call, timed or not', () => {
    const state = newSamplingState();
    const r = second(state, 5000, () => 0.002);
    expect(r.unsampledCount + r.stacks).toBe(5000);
  });
  it('keeps the largest timed call; an untimed call changes neither time nor maximum', () => {
    const state = newSamplingState();
    expect(countUnsampled(state, 0.5, 3)).toBe(true);
    expect(countUnsampled(state, 0.7, untimed)).toBe(false);
    expect(state).toMatchObject({ unsampledCount: 2, unsampledMs: 1.5, unsampledMax: 0.5 });
  });
});

describe('slow calls and seconds', () => {
  it('times every call of the second after one timed call of slowCallMs or more', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, 5001, slowCallMs, false);
    const picks = Array.from({ length: 5000 }, () => pick(state, hot));
    expect(picks.every((p) => p === readStack || p === 1)).toBe(true);
  });
  it('times every call while the guard says every call must be timed, from its next timed call on', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, 5001, 0.002, true);
    expect(Array.from({ length: 5000 }, () => pick(state, hot)).every((p) => p === readStack || p === 1)).toBe(true);
    sawTime(state, 5002, 0.002, false);
    expect(Array.from({ length: 5000 }, () => pick(state, hot)).filter((p) => p === untimed).length).toBeGreaterThan(3000);
  });
  it('starts over in the next second: stacks for the first calls, and fast calls untimed again', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, 5001, slowCallMs, false);
    sawTime(state, 6000, 0.002, false);
    const picks = Array.from({ length: 5000 }, () => pick(state, hot));
    expect(picks.slice(0, hot).every((p) => p === readStack)).toBe(true);
    expect(picks.filter((p) => p === untimed).length).toBeGreaterThan(3000);
  });
});
