/**
 * `look`, called at the 1st, 2nd, 4th, 8th… call of what this returns (a handler's start): an SDK
 * preloaded after loopguard is in time for the first event, and a lookup per event is not paid
 * for the life of a bot that never registers one (a timer looks every second meanwhile). With
 * `last` (a power of two), `done` is called right after the look at that call: the caller stops
 * calling then.
 */
export function atDoublingCounts(look: () => void, last = Infinity, done?: () => void): () => void {
  let count = 0;
  let next = 1;
  return () => {
    if (++count !== next) return;
    next *= 2;
    look();
    if (count === last) done?.();
  };
}
