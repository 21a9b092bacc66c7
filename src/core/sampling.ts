/*
 * Sampling of hot call sites. Reading the stack is what a reported call costs (a few µs); a bot
 * that makes the same blocking call in every one of thousands of events per second would pay it
 * every time. So per API and handler kind (source + event), the first `hot` calls (the
 * sampleAbove setting) of each second read the stack, and below that rate every call is exact.
 * After that, a call reads it with a chance of about tail / n (n: its number in the second): about
 * hot + tail · ln(rate / hot) reads a second. `tail` is `hot` while the reads find different
 * lines, and halves with every `readsPerHalving` reads in a row at one line, down to
 * `quietFloor`; and after a second of more than `hot` calls a second, the head of such a quiet
 * state is its tail too (`headOf`). So a handler kind that keeps making its call at one line
 * reads about 4 · (1 + ln(rate / 4)) stacks a second (38 at 20,000 calls a second, against 350
 * at the full tail), and one read at another line restores the full head and tail. A state whose
 * last second had at most `hot` calls reads every call up to `hot`, however quiet: exact at
 * moderate rates. A second is a tick of the guard's own clock (a one-second timer: an untimed
 * call reads no clock, and compares the tick it was given with its window's), so a window starts
 * over on time, also when a site slows down after a burst. The cost grows with the log of the
 * rate only. The calls in between are counted without a stack ("unsampled"), and go where the
 * next sampled call goes (its site, or nowhere if that call is allowed): per-site counts of hot
 * sites are unbiased estimates, and their reports say so. The guard decides; the dispatcher
 * counts, and tells the state which site each read went to (`sawSite`).
 *
 * Timing a call (two clock reads) is the larger part of what is left: 0.2–0.5 µs where the clock
 * is a paravirtual one, and 3–5 µs in a busy bot, whose work between two calls leaves none of the
 * timed path's code and data in the CPU's caches. So the unsampled calls are timed the same way,
 * `timedPerRead` times as often: every call up to hot · timedPerRead (T) in a second, then calls in (T·2^b, T·2^(b+1)]
 * each with the chance ln 2 / 2^b (about T / n, and T · ln 2 timed calls in each such block), and
 * a timed call reads the stack with the chance tail / T. Which call is timed next is drawn when
 * the last one is (a geometric gap, drawn again at a block's end: the same chances as a draw per
 * call), so a call in between costs an increment and a comparison, no random number. A timed
 * call's time counts with the weight of the untimed calls it stands for (Horvitz–Thompson: the
 * sum is an unbiased estimate of all the calls' time, for the reports and the watchdog alike).
 * Only fast calls go untimed: a timed call of `slowCallMs` or more has the next `slowRun` calls
 * of the state timed, and a site that stays slow renews that run at each of them, so the largest
 * calls of a slow site are all seen. One slow call at a fast site (a garbage collection inside it)
 * costs `slowRun` timed calls; it used to time the rest of the second: in the flood benchmark,
 * nearly every call.
 */

export interface SamplingState {
  /** The second (the guard's clock's tick) the window counts the calls of. */
  window: number;
  windowCalls: number;
  /** The calls of the second before, if the state had any: past `hot`, a quiet state's head is its tail. */
  lastCalls: number;
  /** Every call of this window up to this one (`windowCalls`) is timed: a slow call's run. */
  timeAllTo: number;
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
  /** Reads in a row that went to `lastSite`: each `readsPerHalving` of them halve the tail. */
  streak: number;
  /** xorshift32's state: the state's own random numbers (Math.random costs 30-60 ns more a call here). */
  seed: number;
  /**
   * The next call of the window that is timed, drawn at the last timed one; the calls before it
   * are untimed. 0: not drawn (each call is decided as it comes: the window's first calls, a slow
   * call's run, every call timed).
   */
  nextTimed: number;
  /** The chance with which `nextTimed` was drawn: its weight comes from it. */
  nextChance: number;
}

/**
 * Timed calls per stack read at the full tail, in the sampled part of a second. More than 1: the
 * untimed calls' time is estimated from the timed calls that do not read the stack (a read call
 * is reported on its own). 2: about 2 · hot · (1 + ln(rate / (2 · hot))) timed calls a second
 * (770 at 80,000 calls), one second's estimate within about 7 %. At 4 (until 2026-12-05) the
 * flood's bot timed 1,300 calls a second at its one line, each costing it 3–5 µs.
 */
export const timedPerRead = 2;

/** A call this long (ms) is one whose time is worth more than two clock reads: time them all. */
export const slowCallMs = 1;

/** The calls timed after a slow one. */
export const slowRun = 256;

/** Reads in a row at one line that halve the tail's reads. */
export const readsPerHalving = 8;

/** The tail's fewest reads (as `hot`): a new line among the calls still shows within seconds. */
export const quietFloor = 4;

/** `pick`: the call reads its stack (and is timed, and reported on its own). */
export const readStack = -1;

/** `pick`: the call is neither timed nor read, only counted. */
export const untimed = 0;

export function newSamplingState(): SamplingState {
  // Any seed but 0 (xorshift's one fixed point), different for each state.
  const seed = (Math.random() * 0xffffffff) | 1;
  return {
    window: 0, windowCalls: 0, lastCalls: 0, timeAllTo: 0, timeEvery: false, unsampledCount: 0, unsampledMs: 0, unsampledMax: 0, lastSite: undefined, streak: 0, seed,
    nextTimed: 0, nextChance: 1,
  };
}

/**
 * What this call does, decided before it runs: `readStack`, `untimed`, or else it is timed
 * without a stack and the answer is its weight (1 / the chance that a call that does not read the
 * stack is timed). `hot` from the settings, `second` the guard's clock's tick. Most calls of a
 * hot site end in takeUntimed, which a wrapper asks on its own first (guard/wrapper.ts' runsAsIs).
 */
export function pick(state: SamplingState, hot: number, second: number): number {
  if (takeUntimed(state, second)) return untimed;
  if (second !== state.window) newWindow(state, second);
  return decide(state, hot, ++state.windowCalls);
}

/**
 * `pick`'s common answer, given without the rest of it: true when the call is `untimed` (and
 * counted in its window as pick counts it), false with nothing changed when pick must decide.
 */
export function takeUntimed(state: SamplingState, second: number): boolean {
  if (second !== state.window || state.windowCalls + 1 >= state.nextTimed) return false;
  state.windowCalls++;
  return true;
}

function decide(state: SamplingState, hot: number, n: number): number {
  const tail = tailOf(state, hot);
  if (n <= headOf(state, hot, tail)) return readStack;
  const timed = hot * timedPerRead;
  // Each call decided as it comes (nothing is drawn ahead here: whatever starts this redraws).
  if (n <= timed || n <= state.timeAllTo || state.timeEvery) return uniform(state) * n < tail ? readStack : 1;
  if (state.nextTimed === 0) {
    // The sampled part begins (or again, after a slow call's run): this call is drawn too.
    drawNext(state, n - 1, timed);
    if (n < state.nextTimed) return untimed;
  }
  // The call drawn: timed, and it reads the stack with the chance tail / T.
  const chance = state.nextChance;
  drawNext(state, n, timed);
  const read = tail / timed;
  if (uniform(state) < read) return readStack;
  // Timed and not read: chance · (1 − read), among the calls that do not read, 1 − chance · read.
  return (1 - chance * read) / (chance * (1 - read));
}

/**
 * Draws the next timed call after call `after` (past `timed`): in the block (T·2^b, T·2^(b+1)]
 * each call with the chance ln 2 / 2^b, so the gap is geometric; a gap past the block's end is
 * drawn again from there with the next block's chance (each call's own chance is memoryless).
 */
function drawNext(state: SamplingState, after: number, timed: number): void {
  let at = after;
  for (;;) {
    let end = 2 * timed;
    while (end <= at) end *= 2;
    const chance = (2 * timed * Math.LN2) / end;
    // 1 − uniform is in (0, 1]: its log is finite.
    const gap = 1 + Math.floor(Math.log(1 - uniform(state)) / Math.log(1 - chance));
    if (at + gap <= end) {
      state.nextTimed = at + gap;
      state.nextChance = chance;
      return;
    }
    at = Math.floor(end);
  }
}

/** Uniform on [0, 1) from the state's xorshift32: a sampling decision needs no more. */
function uniform(state: SamplingState): number {
  let x = state.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.seed = x;
  return (x >>> 0) * 2.3283064365386963e-10;
}

/** The reads of a second's tail (see the top of this file). */
function tailOf(state: SamplingState, hot: number): number {
  const halvings = state.streak < readsPerHalving ? 0 : Math.min(Math.floor(state.streak / readsPerHalving), 30);
  return halvings === 0 ? hot : Math.max(hot / (1 << halvings), Math.min(quietFloor, hot));
}

/**
 * The calls of a second that all read the stack: `hot`; or the tail (as few as `quietFloor`) for
 * a state whose reads keep finding one line and whose last second had more than `hot` calls a
 * second. Timing is not: its time estimate keeps its spread (the calls past the head are timed up
 * to hot · timedPerRead, and read with the chance tail / n).
 */
function headOf(state: SamplingState, hot: number, tail: number): number {
  return tail < hot && state.lastCalls > hot ? tail : hot;
}

/** A read went to `site` (the dispatcher's record): a read at the line before lengthens the streak, another line ends it. */
export function sawSite(state: SamplingState, site: object | undefined): void {
  state.streak = site !== undefined && site === state.lastSite ? state.streak + 1 : 0;
  state.lastSite = site;
}

/**
 * After a timed call: a slow call has the next `slowRun` calls timed. `timeEvery` as the guard
 * sees it now.
 */
export function sawTime(state: SamplingState, durationMs: number, timeEvery: boolean): void {
  state.timeEvery = timeEvery;
  if (durationMs >= slowCallMs) state.timeAllTo = state.windowCalls + slowRun;
  // A slow call's run, or every call timed: each call is decided as it comes again.
  if (state.timeAllTo > state.windowCalls || timeEvery) redraw(state);
}

/**
 * The next call is decided as it comes, and the next timed one drawn again: a new second, a slow
 * call's run, every call timed, or new settings (sampleAbove).
 */
export function redraw(state: SamplingState): void {
  state.nextTimed = 0;
}

/** The window of `second` starts: its first calls read the stack again. */
export function newWindow(state: SamplingState, second: number): void {
  // A state without calls in the second before (idle since) had none of them.
  state.lastCalls = second === state.window + 1 ? state.windowCalls : 0;
  state.window = second;
  state.windowCalls = 0;
  state.timeAllTo = 0;
  redraw(state);
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
