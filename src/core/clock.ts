import type { Performance } from 'node:perf_hooks';

/*
 * loopguard's clock: performance.now() and its origin. node:perf_hooks (which the global
 * `performance` loads too) is loaded at the first read, not at start-up: a process that never
 * times a call (`node -e`, npm or tsc under a NODE_OPTIONS preload) does not load it (about
 * 0.7 ms and 60 KB of young generation).
 */

let performance: Performance | undefined;
const perf = (): Performance => (performance ??= (require('node:perf_hooks') as typeof import('node:perf_hooks')).performance);

/**
 * Milliseconds since the time origin, sub-millisecond (performance.now()). Twice in every timed
 * call: the first call puts a function in its place that reads the clock with nothing to check.
 */
export let now = (): number => {
  const loaded = perf();
  now = () => loaded.now();
  return loaded.now();
};

/** The time origin, ms since the epoch: `timeOrigin() + now()` is an absolute time. */
export const timeOrigin = (): number => perf().timeOrigin;

/**
 * Now, ms since the epoch by the monotonic clock: the time every observation carries, shared with
 * loopguard's thread. It can be milliseconds off Date.now() (sinks/otel/traces.ts).
 */
export const epochNow = (): number => timeOrigin() + now();

/** Node's loop idle time so far, ms (performance.nodeTiming.idleTime). */
export const idleTime = (): number => perf().nodeTiming.idleTime;
