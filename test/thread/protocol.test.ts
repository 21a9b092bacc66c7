import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Slot, slotCount, takeTurn, takeTurnsUpTo, writeLock } from '../../src/thread/protocol';

/*
 * Slot.turn decides who writes each report line, the thread or (when the thread is starved of CPU
 * and a new report's line must be on disk before the call returns) the main thread: every line
 * once, in order.
 */

const slots = () => new Int32Array(new SharedArrayBuffer(slotCount * 4));

describe('turns of report lines', () => {
  it('the thread takes each line in order while the main thread takes none', () => {
    const shared = slots();
    expect([1, 2, 3].map((seq) => takeTurn(shared, seq))).toEqual([true, true, true]);
    expect(Atomics.load(shared, Slot.turn)).toBe(3);
  });

  it('the main thread takes the lines the thread has not, up to its own; the thread then skips them and takes the next', () => {
    const shared = slots();
    expect(takeTurn(shared, 1)).toBe(true);
    const taken: number[] = [];
    takeTurnsUpTo(shared, 3, () => true, (seq) => taken.push(seq));
    expect(taken).toEqual([2, 3]);
    expect([2, 3, 4].map((seq) => takeTurn(shared, seq))).toEqual([false, false, true]);
    takeTurnsUpTo(shared, 4, () => true, (seq) => taken.push(seq)); // the thread was in time: nothing left
    expect(taken).toEqual([2, 3]);
  });

  it('a line the main thread may not take (not remembered, closed) stops it there: that line and the rest stay the thread\'s', () => {
    const shared = slots();
    const taken: number[] = [];
    takeTurnsUpTo(shared, 4, (seq) => seq !== 3, (seq) => taken.push(seq));
    expect(taken).toEqual([1, 2]);
    expect([3, 4].map((seq) => takeTurn(shared, seq))).toEqual([true, true]);
  });
});

describe('the write lock', () => {
  it('the main thread only tries it: refused while the other holds it, taken once it is left', () => {
    const shared = slots();
    const thread = writeLock(shared, true);
    const main = writeLock(shared, false);
    expect(thread.enter()).toBe(true);
    expect(main.enter()).toBe(false);
    thread.leave();
    expect(main.enter()).toBe(true);
    main.leave();
    expect(Atomics.load(shared, Slot.writing)).toBe(0);
  });

  it('loopguard\'s thread waits for it while another thread holds it', async () => {
    const shared = slots();
    Atomics.store(shared, Slot.writing, 1); // held by a thread that leaves it after 50 ms
    const other = new Worker(`
      const { workerData } = require('node:worker_threads');
      const shared = new Int32Array(workerData);
      setTimeout(() => { Atomics.store(shared, ${Slot.writing}, 0); Atomics.notify(shared, ${Slot.writing}); }, 50);
    `, { eval: true, workerData: shared.buffer });
    const started = performance.now();
    expect(writeLock(shared, true).enter()).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    await other.terminate();
  });
});
