import { describe, expect, it } from 'vitest';
import {
  countUnsampled, newSamplingState, newWindow, pick, quietFloor, readStack, readsPerHalving, sawSite, sawTime, slowCallMs, slowRun, takeUntimed,
  timedPerRead, untimed, type SamplingState,
} from '../../src/core/sampling';

const hot = 50;

/**
 * One second of `calls` calls at a hot site, as the guard makes them: each picked in the second
 * that `start` (ms) falls in, the timed ones timed (`durationOf(i)` ms), the others counted. With
 * `siteOf`, each read is told the site it went to, as the dispatcher tells it. Returns what the
 * state estimates and the truth.
 */
function second(
  state: SamplingState, calls: number, durationOf: (i: number) => number, start = 1000 * (1 + Math.random()), siteOf?: (i: number) => object,
) {
  let stacks = 0;
  let timed = 0;
  let unsampledTrueMs = 0;
  let unsampledCount = 0;
  let unsampledMs = 0;
  for (let i = 0; i < calls; i++) {
    const picked = pick(state, hot, Math.floor(start / 1000));
    const d = durationOf(i);
    if (picked === readStack) {
      stacks++;
      timed++;
      sawTime(state, d, false);
      if (siteOf !== undefined) sawSite(state, siteOf(i));
      continue;
    }
    unsampledTrueMs += d;
    unsampledCount++;
    if (picked !== untimed) {
      timed++;
      sawTime(state, d, false);
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
    const picks = Array.from({ length: hot * timedPerRead }, () => pick(state, hot, state.window));
    expect(picks.slice(0, hot).every((p) => p === readStack)).toBe(true);
    expect(picks.slice(hot).every((p) => p === readStack || p === 1)).toBe(true);
    expect(picks.slice(hot).filter((p) => p === readStack).length).toBeGreaterThan(0);
  });
  it('leaves most calls of a fast hot site untimed, the timed ones weighted by the chance of being timed', () => {
    const state = newSamplingState();
    const r = second(state, 20_000, () => 0.002);
    // About T·(1 + ln(20000 / T)) timed calls, T = hot·timedPerRead: 705 for T = 100.
    const T = hot * timedPerRead;
    const expected = T * (1 + Math.log(20_000 / T));
    expect(r.timed).toBeGreaterThan(expected * 0.75);
    expect(r.timed).toBeLessThan(expected * 1.4);
    expect(r.stacks).toBeLessThan(r.timed);
    for (let n = 0; n < 1000; n++) {
      const p = pick(state, hot, state.window);
      expect(p === readStack || p === untimed || p > 1).toBe(true);
    }
  });
  it('draws no random number for an untimed call: the next timed call is drawn at the last one', () => {
    const state = newSamplingState();
    let untimedCalls = 0;
    let drew = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed = state.seed;
      if (pick(state, hot, state.window) === untimed) {
        untimedCalls++;
        if (state.seed !== seed) drew++;
      }
    }
    expect(untimedCalls).toBeGreaterThan(15_000);
    // The sampled part's first call draws its own fate and the next timed call's: it may be untimed.
    expect(drew).toBeLessThanOrEqual(1);
  });
  it('times each call past hot × timedPerRead with its chance, ln 2 / 2^b in (T·2^b, T·2^(b+1)], at both ends of a block', () => {
    const T = hot * timedPerRead;
    const blocks = [1, 2, 3];
    // The first and the last 20 calls of each block: a gap drawn across a block's end must not carry its chance over.
    const edges = blocks.map(() => ({ first: 0, last: 0 }));
    const windows = 1000;
    const state = newSamplingState();
    for (let w = 0; w < windows; w++) {
      newWindow(state, w + 1);
      for (let n = 1; n <= 16 * T; n++) {
        if (pick(state, hot, state.window) === untimed || n <= 2 * T) continue;
        const b = Math.ceil(Math.log2(n / T)) - 1;
        const start = T * 2 ** b;
        if (n <= start + 20) edges[b - 1].first++;
        else if (n > 2 * start - 20) edges[b - 1].last++;
      }
    }
    for (const [i, b] of blocks.entries()) {
      const trials = 20 * windows;
      // 20,000 trials a chance: 1–2.5 % spread (600 of these measured: at most 6.5 % off). A gap
      // that keeps its chance past a block's end puts the third block's first calls 25 % over.
      expect(edges[i].first / trials / (Math.LN2 / 2 ** b)).toBeGreaterThan(0.85);
      expect(edges[i].first / trials / (Math.LN2 / 2 ** b)).toBeLessThan(1.15);
      expect(edges[i].last / trials / (Math.LN2 / 2 ** b)).toBeGreaterThan(0.85);
      expect(edges[i].last / trials / (Math.LN2 / 2 ** b)).toBeLessThan(1.15);
    }
  });
  it('weighs the timed calls so that they stand for every call that does not read the stack', () => {
    let weights = 0;
    let notRead = 0;
    const state = newSamplingState();
    for (let w = 0; w < 150; w++) {
      newWindow(state, w + 1);
      for (let n = 0; n < 20_000; n++) {
        const p = pick(state, hot, state.window);
        if (p === readStack) continue;
        notRead++;
        if (p !== untimed) weights += p;
      }
    }
    // One window's sum spreads by about 6 % (the late calls weigh up to 2^6 / ln 2); 150 by 0.5 %.
    // Weights that leave out the chance of a read (1 / chance) are 24 % under.
    expect(Math.abs(weights / notRead - 1)).toBeLessThan(0.04);
  });
  it('reads every stack with sampleAbove off (hot = Infinity)', () => {
    const state = newSamplingState();
    expect(Array.from({ length: 5000 }, () => pick(state, Infinity, state.window)).every((p) => p === readStack)).toBe(true);
  });
});

describe('takeUntimed (what a wrapper asks before pick)', () => {
  it('takes exactly the calls pick leaves untimed, as pick counts them, and leaves the state as it was for the others', () => {
    // Two states drawing the same numbers: one decided by pick alone, one as a wrapper does.
    const alone = newSamplingState();
    const asked = { ...alone };
    let took = 0;
    let untimedCalls = 0;
    let timed = 0;
    const same = {};
    for (let i = 0; i < 60_000; i++) {
      // Seconds of 20,000 calls, a slow call now and then (its run decided call by call), a read at another line.
      const second = 1 + Math.floor(i / 20_000);
      const expected = pick(alone, hot, second);
      if (expected === untimed) untimedCalls++;
      const before = { ...asked };
      let got: number;
      if (takeUntimed(asked, second)) {
        took++;
        got = untimed;
      } else {
        expect(asked).toEqual(before);
        got = pick(asked, hot, second);
      }
      expect(got).toBe(expected);
      if (expected !== untimed) {
        const d = ++timed % 300 === 0 ? slowCallMs : 0.002;
        sawTime(alone, d, false);
        sawTime(asked, d, false);
      }
      if (expected === readStack) {
        const site = i % 97 === 0 ? {} : same;
        sawSite(alone, site);
        sawSite(asked, site);
      }
      expect(asked).toEqual(alone);
    }
    // All untimed calls but the first after each start of a sampled part (a new second, the end of
    // a slow call's run: pick draws the next timed call there), and most calls of all.
    expect(took).toBeGreaterThan(untimedCalls * 0.99);
    expect(took).toBeGreaterThan(40_000);
  });
});

describe('the estimated time of the unsampled calls', () => {
  it('is unbiased: forty seconds of 20,000 calls each come within a few per cent of the true total', () => {
    let estimated = 0;
    let truth = 0;
    for (let s = 0; s < 40; s++) {
      // Durations that change through the second (later calls slower): timed late calls must weigh more.
      const r = second(newSamplingState(), 20_000, (i) => 0.001 + (i / 20_000) * 0.004);
      estimated += r.unsampledMs;
      truth += r.unsampledTrueMs;
    }
    // One second's estimate spreads by about 1/sqrt(2 · hot · timedPerRead) = 7 %, forty by 1.1 %,
    // with a long tail (the large weights of a second's late blocks): of 1,000 simulated runs, the
    // farthest came within 6.1 %, and a missing weight would be off by half or more.
    expect(Math.abs(estimated / truth - 1)).toBeLessThan(0.08);
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
  it(`times the next ${slowRun} calls after one timed call of slowCallMs or more, then fast calls go untimed again`, () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, slowCallMs, false);
    const picks = Array.from({ length: 5000 }, () => pick(state, hot, state.window));
    expect(picks.slice(0, slowRun).every((p) => p === readStack || p === 1)).toBe(true);
    expect(picks.slice(slowRun).filter((p) => p === untimed).length).toBeGreaterThan(4000);
  });
  it('keeps every call of a site that stays slow timed: each slow timed call renews the run', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, slowCallMs, false);
    for (let i = 0; i < 5000; i++) {
      const p = pick(state, hot, state.window);
      expect(p === readStack || p === 1).toBe(true);
      sawTime(state, 2 * slowCallMs, false);
    }
  });
  it('times every call while the guard says every call must be timed, from its next timed call on', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, 0.002, true);
    expect(Array.from({ length: 5000 }, () => pick(state, hot, state.window)).every((p) => p === readStack || p === 1)).toBe(true);
    sawTime(state, 0.002, false);
    expect(Array.from({ length: 5000 }, () => pick(state, hot, state.window)).filter((p) => p === untimed).length).toBeGreaterThan(3000);
  });
  it('starts over in the next second: stacks for the first calls, and fast calls untimed again', () => {
    const state = newSamplingState();
    second(state, 5000, () => 0.002, 5000);
    sawTime(state, slowCallMs, false);
    // The guard's clock ticks: the next call is the next second's first.
    const picks = Array.from({ length: 5000 }, () => pick(state, hot, 6));
    expect(picks.slice(0, hot).every((p) => p === readStack)).toBe(true);
    expect(picks.filter((p) => p === untimed).length).toBeGreaterThan(3000);
  });
});

describe('the tail of quiet handler kinds', () => {
  const line = {};
  const other = {};
  /** A state after two seconds of 20,000 calls at `line`: quiet, and hot in its last second. */
  const afterHotSeconds = (): SamplingState => {
    const state = newSamplingState();
    second(state, 20_000, () => 0.002, 1000, () => line);
    second(state, 20_000, () => 0.002, 2000, () => line);
    return state;
  };

  it('reads fewer stacks once the reads keep finding one line: about hot + quietFloor · ln(n / hot) in the first second, quietFloor · (1 + ln(n / quietFloor)) after it', () => {
    const state = newSamplingState();
    const first = second(state, 20_000, () => 0.002, 1000, () => line);
    // The first second's first reads already make the streak: 50 + 4 · ln(400) = 74, with its spread.
    expect(first.stacks).toBeGreaterThanOrEqual(hot);
    expect(first.stacks).toBeLessThan(120);
    expect(state.streak).toBeGreaterThan(hot);
    // After a second of more than `hot` calls, its head is its tail too: 4 · (1 + ln(5000)) = 38.
    const later = [2, 3, 4, 5, 6, 7, 8, 9].map((s) => second(state, 20_000, () => 0.002, 1000 * s, () => line));
    // One second's reads spread by about ±6 (one in thirty reaches 50); their mean by about ±2.
    const mean = later.reduce((sum, r) => sum + r.stacks, 0) / later.length;
    expect(mean).toBeGreaterThan(quietFloor * (1 + Math.log(20_000 / quietFloor)) * 0.7);
    expect(mean).toBeLessThan(quietFloor * (1 + Math.log(20_000 / quietFloor)) * 1.3);
    // Its calls are timed as before: the time estimate keeps its spread.
    for (const r of later) expect(r.timed).toBeGreaterThan(hot * timedPerRead);
  });
  it('keeps the full tail while the reads find different lines', () => {
    const state = newSamplingState();
    // hot · (1 + ln(20000 / hot)) = 350
    const reads = second(state, 20_000, () => 0.002, 1000, (i) => (i % 2 === 0 ? line : other)).stacks;
    expect(reads).toBeGreaterThan(250);
  });
  it('restores the full tail at the first read at another line, and halves it again after each readsPerHalving reads in a row', () => {
    const state = newSamplingState();
    for (let i = 0; i < 100; i++) sawSite(state, line);
    expect(state.streak).toBe(99);
    sawSite(state, other);
    expect(state.streak).toBe(0);
    sawSite(state, undefined); // a read at an allowed line: no site, and no streak
    sawSite(state, undefined);
    expect(state.streak).toBe(0);
    expect(state.lastSite).toBeUndefined();
    // The tail, read off pick's reads past the first `hot` calls: full, then halved.
    const tailReads = (streak: number): number => {
      const s = newSamplingState();
      let reads = 0;
      for (let w = 0; w < 40; w++) {
        newWindow(s, w + 1);
        s.streak = streak;
        for (let i = 0; i < 20_000; i++) if (pick(s, hot, s.window) === readStack && i >= hot) reads++;
      }
      return reads / 40;
    };
    const full = tailReads(0); // hot · ln(400) = 300
    const half = tailReads(readsPerHalving);
    const floor = tailReads(100 * readsPerHalving);
    expect(full).toBeGreaterThan(250);
    expect(full).toBeLessThan(350);
    expect(half / full).toBeGreaterThan(0.4);
    expect(half / full).toBeLessThan(0.6);
    expect(floor).toBeGreaterThan(quietFloor * Math.log(20_000 / hot) * 0.6);
    expect(floor).toBeLessThan(quietFloor * Math.log(20_000 / hot) * 1.4);
  });
  it('reads every call below hot a second, however long the streak: exact at moderate rates', () => {
    const state = newSamplingState();
    state.streak = 10_000;
    for (let s = 1; s <= 5; s++) expect(second(state, hot, () => 0.002, 1000 * s, () => line).stacks).toBe(hot);
  });
  it('reads every call again from the second after a hot state slows down to hot calls a second', () => {
    const state = afterHotSeconds();
    // The first slow second follows a hot one: a quiet head. The seconds after it read every call.
    expect(second(state, hot, () => 0.002, 3000, () => line).stacks).toBeLessThan(hot);
    for (let s = 4; s <= 8; s++) expect(second(state, hot, () => 0.002, 1000 * s, () => line).stacks).toBe(hot);
  });
  it('counts a second after an idle one as after a quiet one: every call read', () => {
    const state = afterHotSeconds();
    expect(second(state, hot, () => 0.002, 4000, () => line).stacks).toBe(hot);
  });
  it('reads the full head again after a read at another line, until the reads keep finding one line again', () => {
    const state = afterHotSeconds();
    // The reads among a new window's first `hot` calls, each at `line`.
    const firstReads = (): boolean[] => {
      newWindow(state, state.window + 1);
      state.windowCalls = 20_000; // the second before was as hot
      newWindow(state, state.window + 1);
      return Array.from({ length: hot }, () => {
        const read = pick(state, hot, state.window) === readStack;
        if (read) sawSite(state, line);
        return read;
      });
    };
    const quiet = firstReads();
    expect(quiet.slice(0, quietFloor).every(Boolean)).toBe(true);
    expect(quiet.filter(Boolean).length).toBeLessThan(hot);
    sawSite(state, other);
    // The head is `hot` again: halved after readsPerHalving reads at one line, and again after as many more.
    const after = firstReads();
    expect(after.slice(0, 2 * readsPerHalving).every(Boolean)).toBe(true);
  });
  it('stays unbiased when quiet: forty seconds on one state come within a few per cent of the true total', () => {
    const state = newSamplingState();
    let estimated = 0;
    let truth = 0;
    for (let s = 0; s < 40; s++) {
      const r = second(state, 20_000, (i) => 0.001 + (i / 20_000) * 0.004, 1000 * (s + 1), () => line);
      estimated += r.unsampledMs;
      truth += r.unsampledTrueMs;
    }
    expect(state.streak).toBeGreaterThan(100);
    expect(Math.abs(estimated / truth - 1)).toBeLessThan(0.08); // 300 simulated runs: within 4.2 %
  });
});
