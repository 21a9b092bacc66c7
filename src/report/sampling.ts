/*
 * Sampling of hot call sites. Reading the stack is what a reported call costs (a few µs); a bot
 * that makes the same blocking call in every one of thousands of events per second would pay it
 * every time. So per API and handler kind (source + event), the first `hot` calls (the
 * sampleAbove setting) of each second read the stack; after that, call n of the second reads it
 * with probability hot / n — about as many reads again per second whatever the rate, so the cost is
 * bounded. The calls in between are timed and counted, and go where the next sampled call goes
 * (its site, or nowhere if that call is allowed): per-site counts of hot pairs are unbiased
 * estimates, and their reports say so.
 */


export interface Pair {
  windowStart: number;
  windowCalls: number;
  carryCount: number;
  carryMs: number;
  carryMax: number;
  /** The site record the last sampled call went to (opaque to the guard). */
  last: object | undefined;
}

export function newPair(): Pair {
  return { windowStart: 0, windowCalls: 0, carryCount: 0, carryMs: 0, carryMax: 0, last: undefined };
}

/** Whether this call reads the stack. `now` in ms (performance.now()); `hot` from the settings. */
export function sampleThis(pair: Pair, now: number, hot: number): boolean {
  if (now - pair.windowStart >= 1000) {
    pair.windowStart = now;
    pair.windowCalls = 0;
  }
  const n = ++pair.windowCalls;
  return n <= hot || Math.random() * n < hot;
}
