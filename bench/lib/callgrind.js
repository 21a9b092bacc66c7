'use strict';
// Counting instructions with valgrind's callgrind (bench:instructions, bench:instructions:events):
// unlike milliseconds on this shared machine, they come out the same from run to run when Node runs
// with V8's --predictable (no background compile or GC threads, no time-based GC heuristics).
const { execFileSync, spawn } = require('node:child_process');
const { exited } = require('./common');

/** valgrind's version, or an error that says how to get it. */
function checkValgrind(bench) {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${bench} needs valgrind (Debian: apt-get install valgrind)`);
  }
}

/** Runs `cmd args` to its exit; resolves with its stderr (rejects on a non-zero status). */
async function run(cmd, args, { cwd, env }) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  await exited(child);
  if (child.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${child.exitCode ?? child.signalCode}:\n${stderr.slice(-2000)}`);
  return stderr;
}

/** The instructions `node nodeArgs` runs, all threads, with --predictable (and V8's other `flags`). */
async function instructionsOf(node, nodeArgs, { cwd, env, flags = [], what }) {
  const stderr = await run('valgrind', ['--tool=callgrind', '--smc-check=all', '--callgrind-out-file=/dev/null', node.bin, '--predictable', ...flags, ...nodeArgs], { cwd, env });
  const counted = /Collected : (\d+)/.exec(stderr);
  if (counted === null) throw new Error(`no instruction count for ${what}:\n${stderr.slice(-2000)}`);
  return Number(counted[1]);
}

module.exports = { checkValgrind, instructionsOf };
