/*
 * Sampling of hot call sites. Reading the stack is what a reported call costs (a few µs); a bot
 * that makes the same blocking call in every one of thousands of events per second would pay it
 * every time. So per API and handler kind (source + event), the first `hot` calls (the
 * sampleAbove setting) of each second read the stack; after that, call n of the second reads it
 * with probability hot / n: about hot · (1 + ln(rate / hot)) reads a second in all (360 at 25,000
 * calls a second), so the cost grows with the log of the rate only. A steeper tail (hot² / n²)
 * would read fewer stacks but leave the late calls of each second to one site's estimate. The
 * calls in between are timed and counted without a stack ("unsampled"), and go where the next
 * sampled call goes (its site, or nowhere if that call is allowed): per-site counts of hot sites
 * are unbiased estimates, and their reports say so. The guard decides; the dispatcher counts.
 */

export interface SamplingState {
  windowStart: number;
  windowCalls: number;
  /** Calls counted without a stack, not yet given to a site. */
  unsampledCount: number;
  unsampledMs: number;
  unsampledMax: number;
  /** The site record the last sampled call went to (the dispatcher's, opaque here). */
  lastSite: object | undefined;
}

export function newSamplingState(): SamplingState {
  return { windowStart: 0, windowCalls: 0, unsampledCount: 0, unsampledMs: 0, unsampledMax: 0, lastSite: undefined };
}

/** Whether this call reads the stack. `now` in ms (performance.now()); `hot` from the settings. */
export function sampleThis(state: SamplingState, now: number, hot: number): boolean {
  if (now - state.windowStart >= 1000) {
    state.windowStart = now;
    state.windowCalls = 0;
  }
  const n = ++state.windowCalls;
  return n <= hot || Math.random() * n < hot;
}

/**
 * Counts a call that did not read the stack. True when it is the state's first since its calls
 * were last given to a site: whoever gives them (the dispatcher) must then be told once.
 */
export function countUnsampled(state: SamplingState, durationMs: number): boolean {
  const first = state.unsampledCount === 0;
  state.unsampledCount++;
  state.unsampledMs += durationMs;
  if (durationMs > state.unsampledMax) state.unsampledMax = durationMs;
  return first;
}
