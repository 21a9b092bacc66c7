'use strict';
// A preload of bench:startup's process variants, given after the preload under test (alone for the
// baseline): at the process' exit event, the time since the process started, read in the process,
// on stderr. process.uptime() counts from the process' start as performance.now() does, without
// loading perf_hooks: the global `performance` loads it when first read, which inside the measured
// time cost a process 1-2 ms and 60 KB, enough to run a young-generation GC (2.5-5 ms) in one that
// had not loaded it. Written with fs.writeSync, not process.stderr, whose stream (and the modules
// behind it) would be made at that moment too. The time from spawn to the parent's exit event also counts fork, exec and
// Node's teardown, the same with and without loopguard (about 15 ms here, measured), which only
// adds to the spread of the rounds.
const { writeSync } = require('node:fs');
process.on('exit', () => writeSync(2, `exit after ${process.uptime() * 1000} ms\n`));
