import { mkdirSync, symlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { onBun } from '../../src/core/bun';
import { linesChannel } from '../../src/thread/protocol';
import { cleanup, root, runNode, type NodeRun } from '../support/run-node';
import { Scratch } from '../support/scratch';

/*
 * The app's worker threads find the slots of loopguard's thread in Node's environment data as
 * they start (their report lines go through it). They are published before any worker can start,
 * and only then: a process that never loads node:worker_threads does not load it for loopguard.
 */

const found = `require('node:worker_threads').getEnvironmentData(${JSON.stringify(linesChannel)}) instanceof SharedArrayBuffer`;
/** An ES module that starts a worker as it is evaluated; the worker says whether it found the slots. */
const startsWorker = `import { Worker } from 'node:worker_threads';
const worker = new Worker(${JSON.stringify(`require('node:worker_threads').parentPort.postMessage(${found})`)}, { eval: true });
worker.once('message', (m) => { console.log('worker found the slots:', m); worker.terminate(); });
`;

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);

const runs: NodeRun[] = [];
const scratches: Scratch[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) cleanup(run);
  for (const s of scratches.splice(0)) s.remove();
});

async function run(args: string[], cwd?: string): Promise<NodeRun> {
  const r = await runNode(['-r', 'loopguard/register', ...args], { LOOPGUARD_REPORT_FILE: '' }, process.execPath, cwd);
  runs.push(r);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe('the slots of loopguard\'s thread, for the app\'s worker threads', () => {
  it('leave node:worker_threads unloaded in a process that never loads it: a script, an ES module (published at install on Bun)', async () => {
    const unloaded = `process.on('exit', () => console.log(process.moduleLoadList.includes('NativeModule worker_threads')))`;
    expect((await run(['-e', unloaded])).stdout.trim()).toBe(String(onBun));
    // In a folder of its own: beside the packages whose ES module builds loopguard hooks (this
    // package's), Node's module hooks are registered, and load it.
    const scratch = new Scratch();
    scratches.push(scratch);
    mkdirSync(scratch.path('node_modules'));
    symlinkSync(root, scratch.path('node_modules/loopguard'));
    const esm = scratch.file('quiet.mjs', `import 'node:zlib';\n${unloaded};\n`);
    expect((await run([esm], scratch.dir)).stdout.trim()).toBe(String(onBun));
  });

  it('are published before a require() or process.getBuiltinModule() of node:worker_threads returns', async () => {
    expect((await run(['-e', `console.log(${found})`])).stdout.trim()).toBe('true');
    if (typeof process.getBuiltinModule !== 'function') return;
    const viaGet = found.replace("require('node:worker_threads')", "process.getBuiltinModule('node:worker_threads')");
    expect((await run(['-e', `console.log(${viaGet})`])).stdout.trim()).toBe('true');
  });

  it('are found by a worker that an ES module starts as it is evaluated: the entry, or imported by a CommonJS app', async () => {
    const scratch = new Scratch();
    scratches.push(scratch);
    const esm = scratch.file('starts-worker.mjs', startsWorker);
    expect((await run([esm])).stdout.trim()).toBe('worker found the slots: true');
    const app = scratch.file('app.js', `import(${JSON.stringify(esm)});\n`);
    expect((await run([app])).stdout.trim()).toBe('worker found the slots: true');
    expect((await run(['-e', `import(${JSON.stringify(esm)})`])).stdout.trim()).toBe('worker found the slots: true');
    // ES module syntax in -e (Node 22.7+ detects it): Node imports it as a module.
    if (atLeast(22, 7)) expect((await run(['-e', startsWorker])).stdout.trim()).toBe('worker found the slots: true');
  });

  it.runIf(atLeast(22, 12) || (major === 20 && minor >= 19))('are found by a worker that a CommonJS app starts through an ES module it require()d', async () => {
    const scratch = new Scratch();
    scratches.push(scratch);
    const pool = scratch.file('pool.mjs', `export { start };\n${startsWorker.replace('const worker', 'function start() {\nconst worker').replace(/\n$/, '\n}\n')}`);
    expect((await run(['-e', `require(${JSON.stringify(pool)}).start()`])).stdout.trim()).toBe('worker found the slots: true');
    expect((await run(['-e', `setTimeout(() => require(${JSON.stringify(pool)}).start(), 10)`])).stdout.trim()).toBe('worker found the slots: true');
    // Started as the ES module is evaluated, inside the require(), before any bot library loads.
    const esm = scratch.file('starts-worker.mjs', startsWorker);
    expect((await run(['-e', `require(${JSON.stringify(esm)})`])).stdout.trim()).toBe('worker found the slots: true');
  });
});
