/*
 * Sampling of hot call sites. Reading the stack is what a reported call costs (a few µs); a bot
 * that makes the same blocking call in every one of thousands of events per second would pay it
 * every time. So per API and handler kind (source + event), the first `hot` calls (the
 * sampleAbove setting) of each second read the stack; after that, call n of the second reads it
 * with probability hot / n: about hot · (1 + ln(rate / hot)) reads a second in all (360 at 25,000
 * calls a second), so the cost grows with the log of the rate only. A steeper tail (hot² / n²)
 * would read fewer stacks but leave the late calls of each second to one site's estimate. The
 * calls in between are counted without a stack ("unsampled"), and go where the next sampled call
 * goes (its site, or nowhere if that call is allowed): per-site counts of hot sites are unbiased
 * estimates, and their reports say so. The guard decides; the dispatcher counts.
 *
 * Timing a call (two clock reads) is the larger part of what is left: 0.3–0.5 µs where the clock
 * is a paravirtual one. So the unsampled calls are timed the same way, with `timedPerRead` times
 * the stack reads' rate: the first hot · timedPerRead calls of a second, then call n with
 * probability hot · timedPerRead / n. A timed call's time counts with the weight of the untimed
 * calls it stands for (Horvitz–Thompson: the sum is an unbiased estimate of all the calls' time,
 * for the reports and the watchdog alike). Only fast calls go untimed: one call of `slowCallMs`
 * or more times every call of the state for the rest of its second, so the largest calls of a
 * slow site are all seen.
 */

export interface SamplingState {
  windowStart: number;
  windowCalls: number;
  /** A timed call of `slowCallMs` or more in this window: every call is timed until the next. */
  timeAll: boolean;
  /**
   * Every call must be timed (a threshold is judged, or someone follows every call with its
   * time): the guard's answer at the last timed call, so that untimed calls do not ask.
   */
  timeEvery: boolean;
  /** Calls counted without a stack, not yet given to a site. */
  unsampledCount: number;
  /** Their time, estimated: the timed ones' time, each with its weight. */
  unsampledMs: number;
  /** The largest of them that was timed. */
  unsampledMax: number;
  /** The site record the last sampled call went to (the dispatcher's, opaque here). */
  lastSite: object | undefined;
  /** xorshift32's state: the state's own random numbers (Math.random costs 30-60 ns more a call here). */
  seed: number;
}

/** Timed calls per stack read, in the sampled part of a second. */
export const timedPerRead = 4;

/** A call this long (ms) is one whose time is worth more than two clock reads: time them all. */
export const slowCallMs = 1;

/** `pick`: the call reads its stack (and is timed, and reported on its own). */
export const readStack = -1;

/** `pick`: the call is neither timed nor read, only counted. */
export const untimed = 0;

export function newSamplingState(): SamplingState {
  // Any seed but 0 (xorshift's one fixed point), different for each state.
  const seed = (Math.random() * 0xffffffff) | 1;
  return { windowStart: 0, windowCalls: 0, timeAll: false, timeEvery: false, unsampledCount: 0, unsampledMs: 0, unsampledMax: 0, lastSite: undefined, seed };
}

/**
 * What this call does, decided before it runs: `readStack`, `untimed`, or else it is timed
 * without a stack and the answer is its weight (1 / the chance that a call that does not read the
 * stack is timed). `hot` from the settings. One random number decides both (xorshift32, seeded
 * from Math.random per state: a sampling decision needs no more).
 */
export function pick(state: SamplingState, hot: number): number {
  const n = ++state.windowCalls;
  if (n <= hot) return readStack;
  let x = state.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.seed = x;
  // Uniform on [0, n): the 32 bits as a fraction of 2^32.
  const r = (x >>> 0) * 2.3283064365386963e-10 * n;
  if (r < hot) return readStack;
  const timed = hot * timedPerRead;
  if (n <= timed || state.timeAll || state.timeEvery) return 1;
  // r is uniform on [hot, n) here: timed with probability (timed - hot) / (n - hot).
  return r < timed ? (n - hot) / (timed - hot) : untimed;
}

/**
 * After a timed call (it read the clock, untimed ones do not): a new second starts the window
 * again, and a slow call has every call of this one timed. `start` in ms (core/clock's now());
 * `timeEvery` as the guard sees it now.
 */
export function sawTime(state: SamplingState, start: number, durationMs: number, timeEvery: boolean): void {
  state.timeEvery = timeEvery;
  if (start - state.windowStart >= 1000) {
    state.windowStart = start;
    state.windowCalls = 0;
    state.timeAll = false;
  }
  if (durationMs >= slowCallMs) state.timeAll = true;
}

/**
 * Counts a call that did not read the stack: `durationMs` timed with `weight`, or untimed (weight
 * 0). True when it is the state's first since its calls were last given to a site: whoever gives
 * them (the dispatcher) must then be told once.
 */
export function countUnsampled(state: SamplingState, durationMs: number, weight: number): boolean {
  const first = state.unsampledCount === 0;
  state.unsampledCount++;
  if (weight !== untimed) {
    state.unsampledMs += durationMs * weight;
    if (durationMs > state.unsampledMax) state.unsampledMax = durationMs;
  }
  return first;
}
