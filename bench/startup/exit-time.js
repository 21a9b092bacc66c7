'use strict';
// A preload of bench:startup's process variants, given after the preload under test (alone for the
// baseline): at the process' exit event, the time since the process started, read in the process
// (performance.now() counts from its start), on stderr. The time from spawn to the parent's exit
// event also counts fork, exec and Node's teardown, the same with and without loopguard (about
// 15 ms here, measured), which only adds to the spread of the rounds.
process.on('exit', () => process.stderr.write(`exit after ${performance.now()} ms\n`));
