import { Worker, isMainThread as nodeSays } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { isMainThread } from '../../src/core/main-thread';
import { root } from '../support/run-node';

/* Told without loading node:worker_threads: it must say what worker_threads says, on each thread. */

describe('isMainThread', () => {
  it('is true on the main thread', () => {
    expect(nodeSays).toBe(true);
    expect(isMainThread).toBe(true);
  });

  it('is false on a worker thread (the built module, loaded there)', async () => {
    const worker = new Worker(`
      const { parentPort, isMainThread } = require('node:worker_threads');
      const { modules } = require(${JSON.stringify(`${root}/dist/loopguard.js`)});
      parentPort.postMessage([modules['src/core/main-thread.ts']().isMainThread, isMainThread]);
    `, { eval: true });
    const said = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(said).toEqual([false, false]);
  });
});
