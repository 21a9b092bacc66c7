import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BroadcastChannel, setEnvironmentData, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { linesChannel, Slot, slotCount, type RelayedLine } from '../../src/thread/protocol';
import { Scratch } from '../support/scratch';

/*
 * An app's worker thread writes its report lines itself until the main thread's loopguard thread
 * listens on the lines channel, and posts them there after: a line is never posted to a channel
 * nobody reads (a BroadcastChannel keeps nothing for later listeners).
 */

const clientTs = resolve(__dirname, '../../src/thread/client.ts');

interface News {
  text: string;
  failed: boolean;
}

/**
 * An app's worker thread with relayedLines(`to`) (this source, through tsx): it writes and ends as
 * it is told; what relayedLines says (`news`) comes before the answer to the message that caused it.
 */
async function appWorker(to: string): Promise<{ news: News[]; write(text: string): Promise<void>; end(): Promise<void> }> {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const { relayedLines } = require('tsx/cjs/api').require(${JSON.stringify(clientTs)}, ${JSON.stringify(clientTs)});
    const lines = relayedLines(${JSON.stringify(to)}, (text, failed) => parentPort.postMessage({ news: { text, failed } }));
    parentPort.on('message', ({ write, end }) => {
      if (write !== undefined) lines.write(write);
      if (end) { lines.end(); parentPort.close(); } else parentPort.postMessage('done');
    });
    parentPort.postMessage('done');
  `, { eval: true });
  const news: News[] = [];
  worker.on('message', (message: { news?: News }) => {
    if (message.news !== undefined) news.push(message.news);
  });
  const done = (): Promise<void> => new Promise((resolve, reject) => {
    const answered = (message: unknown): void => {
      if (message !== 'done') return;
      worker.off('message', answered);
      resolve();
    };
    worker.on('message', answered);
    worker.once('error', reject);
  });
  await done();
  return {
    news,
    write: async (text) => {
      worker.postMessage({ write: text });
      await done();
    },
    end: async () => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ end: true });
      await exited;
    },
  };
}

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

async function until(ready: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !ready() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('lines of an app\'s worker thread before loopguard\'s thread listens', () => {
  let scratch: Scratch;
  let shared: Int32Array;
  let file: string;

  const setUp = (): void => {
    scratch = new Scratch();
    file = scratch.path('reports.jsonl');
    shared = new Int32Array(new SharedArrayBuffer(slotCount * 4));
    setEnvironmentData(linesChannel, shared.buffer);
    // Held by the process' other writer: the worker cannot write at once.
    Atomics.store(shared, Slot.writing, 1);
  };
  const release = (): void => {
    Atomics.store(shared, Slot.writing, 0);
    Atomics.notify(shared, Slot.writing);
  };
  afterEach(() => {
    setEnvironmentData(linesChannel, undefined);
    scratch.remove();
  });

  it('are held, in order, while the lock is held, and written by the worker once it is left: none is posted to nobody', async () => {
    setUp();
    const worker = await appWorker(file);
    await worker.write('{"n":1}\n');
    await worker.write('{"n":2}\n');
    await pause(50);
    expect(read(file)).toBe('');
    expect(Atomics.load(shared, Slot.relayPosted)).toBe(0);
    release();
    await until(() => read(file) !== '');
    expect(read(file)).toBe('{"n":1}\n{"n":2}\n');
    await worker.end();
  });

  it('go to loopguard\'s thread, before the lines after them, once it listens', async () => {
    setUp();
    const received: string[] = [];
    const thread = new BroadcastChannel(linesChannel);
    try {
      const worker = await appWorker(file);
      await worker.write('{"n":1}\n');
      // loopguard's thread comes online: it listens first, then says so.
      thread.onmessage = (event) => received.push((event as { data: RelayedLine }).data.text);
      Atomics.store(shared, Slot.online, 1);
      await worker.write('{"n":2}\n');
      await until(() => received.join('') === '{"n":1}\n{"n":2}\n');
      expect(received.join('')).toBe('{"n":1}\n{"n":2}\n');
      expect(Atomics.load(shared, Slot.relayPosted)).toBe(received.length);
      expect(read(file)).toBe('');
      await worker.end();
    } finally {
      thread.close();
    }
  });

  it('are held up to what a report file\'s writer keeps (4 MB): lines past it are dropped and counted, the others written', async () => {
    setUp();
    const worker = await appWorker(file);
    const line = (n: number): string => `{"n":${n},"pad":"${'x'.repeat(1_000_000)}"}\n`;
    for (let n = 1; n <= 5; n++) await worker.write(line(n));
    await worker.write(line(6) + line(7));
    expect(worker.news).toEqual([]);
    release();
    await until(() => read(file).length >= 4 * line(1).length && worker.news.length > 0);
    await pause(50);
    expect(read(file).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 3, 4]);
    expect(worker.news).toEqual([{ text: `writing ${file} works again; 3 lines were dropped meanwhile (more than 4 MB waited)`, failed: false }]);
    await worker.write('{"n":8}\n');
    await until(() => read(file).endsWith('{"n":8}\n'));
    await worker.end();
    expect(worker.news).toHaveLength(1);
  });

  it('that are still held at the worker\'s end are said, with the dropped ones, as not written', async () => {
    setUp();
    const worker = await appWorker(file);
    const line = (n: number): string => `{"n":${n},"pad":"${'x'.repeat(1_000_000)}"}\n`;
    for (let n = 1; n <= 6; n++) await worker.write(line(n));
    // The lock stays held: the end's wait for it runs out.
    await worker.end();
    expect(read(file)).toBe('');
    expect(worker.news).toEqual([{ text: `writing ${file} still fails (busy) as loopguard closes it: 6 lines were not written`, failed: true }]);
  });

  it('are written at the worker\'s end, which waits for the lock', async () => {
    setUp();
    const worker = await appWorker(file);
    await worker.write('{"n":1}\n');
    setTimeout(release, 50);
    await worker.end();
    expect(read(file)).toBe('{"n":1}\n');
    expect(worker.news).toEqual([]);
  });
});
