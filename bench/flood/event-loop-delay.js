'use strict';
// An anchor of the flood benchmark (a preload): perf_hooks.monitorEventLoopDelay alone — numbers
// (a delay histogram), no attribution to a handler or a line.
const { monitorEventLoopDelay } = require('node:perf_hooks');

const histogram = monitorEventLoopDelay({ resolution: 20 });
histogram.enable();

const previous = globalThis.__floodStats;
globalThis.__floodStats = () => ({ ...previous?.(), delayP99Ms: Number((histogram.percentile(99) / 1e6).toFixed(1)), delayMaxMs: Number((histogram.max / 1e6).toFixed(1)) });
