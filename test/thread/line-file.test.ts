import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LineFile, openReportFile, type LineIo } from '../../src/thread/line-file';
import { slotCount, writeLock } from '../../src/thread/protocol';
import { Scratch } from '../support/scratch';

/*
 * The writer under every report line: whole lines or none, kept while the destination fails and
 * written once it works again, a torn tail cut off, a deleted file made again.
 */

/** Real fs, with writes that fail (after writing `partial` bytes of the first of them) while `full` is set. */
function flakyIo(state: { full: boolean; partial: number }): LineIo {
  return {
    ...fs,
    writeSync(fd: number, buffer: Buffer, offset: number, length: number) {
      if (!state.full) return fs.writeSync(fd, buffer, offset, length);
      if (state.partial > 0) {
        const n = fs.writeSync(fd, buffer, offset, Math.min(length, state.partial));
        state.partial = 0;
        return n;
      }
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    },
  } as unknown as LineIo;
}

/** A report file written through flakyIo, with the news it says. */
function flakyFile(scratch: Scratch) {
  const path = scratch.path('reports.jsonl');
  const state = { full: false, partial: 0 };
  const io = flakyIo(state);
  const news: [string, boolean][] = [];
  const file = new LineFile(openReportFile(path, io).fd, { path, io, mayWait: false, onNews: (text, failed) => news.push([text, failed]) });
  return { path, state, file, news };
}

describe('LineFile', () => {
  it('keeps the lines a full disk refuses, cuts off the torn start of one, and writes them all, whole, when it frees', () => {
    const scratch = new Scratch();
    const { path, state, file, news } = flakyFile(scratch);
    file.write('{"n":1}\n');
    state.full = true;
    state.partial = 12; // the second line and a half of the third reach the disk
    file.write('{"n":2}\n{"n":3}\n');
    file.write('{"n":4}\n');
    expect(file.waiting).toBe(true);
    expect(fs.readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n'); // no torn line left behind
    state.full = false;
    expect(file.retry()).toBe(true);
    file.close();
    expect(fs.readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
    expect(news).toEqual([
      [`writing ${path} failed (ENOSPC): its lines are kept and written when it works again`, true],
      [`writing ${path} works again; no line was lost`, false],
    ]);
    scratch.remove();
  });

  it('makes a deleted file again before the next line', () => {
    const scratch = new Scratch();
    const path = scratch.path('reports.jsonl');
    const file = new LineFile(openReportFile(path).fd, { path, mayWait: false, onNews: () => {} });
    file.write('a\n');
    fs.rmSync(path);
    file.write('b\n');
    file.close();
    expect(fs.readFileSync(path, 'utf8')).toBe('b\n');
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    scratch.remove();
  });

  it('keeps at most 4 MB while failing; what is dropped is said when writing works again', () => {
    const scratch = new Scratch();
    const path = scratch.path('reports.jsonl');
    const state = { full: true, partial: 0 };
    const io = flakyIo(state);
    const news: string[] = [];
    const file = new LineFile(openReportFile(path, io).fd, { path, io, mayWait: false, onNews: (text) => news.push(text) });
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 5000; i++) file.write(line);
    state.full = false;
    file.retry();
    file.close();
    const written = fs.readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
    expect(written).toBe(4096);
    expect(news.at(-1)).toBe(`writing ${path} works again; ${5000 - 4096} lines were dropped meanwhile (more than 4 MB waited)`);
    scratch.remove();
  });

  it('closing while the disk is still full says how many lines were not written, and leaves no torn line', () => {
    const scratch = new Scratch();
    const { path, state, file, news } = flakyFile(scratch);
    file.write('{"n":1}\n');
    state.full = true;
    state.partial = 4;
    file.write('{"n":2}\n{"n":3}\n');
    file.close();
    expect(fs.readFileSync(path, 'utf8')).toBe('{"n":1}\n');
    expect(news.at(-1)).toEqual([`writing ${path} still fails (ENOSPC) as loopguard closes it: 2 lines were not written`, true]);
    scratch.remove();
  });

  it('the two writers of one file take turns: cutting a torn tail never cuts the line the other wrote meanwhile', () => {
    const scratch = new Scratch();
    const path = scratch.path('reports.jsonl');
    const shared = new Int32Array(new SharedArrayBuffer(slotCount * 4));
    const state = { full: true, partial: 5 };
    const other = new LineFile(openReportFile(path).fd, { path, mayWait: false, lock: writeLock(shared, false), onNews: () => {} });
    let left: string | undefined;
    // The main thread writes between this writer's check of the file's end and its cut.
    const io = { ...flakyIo(state), readSync: (...args: Parameters<typeof fs.readSync>) => {
      left ??= other.tryWrite('{"other":1}\n');
      return fs.readSync(...args);
    } } as unknown as LineIo;
    const file = new LineFile(openReportFile(path, io).fd, { path, io, mayWait: false, lock: writeLock(shared, false), onNews: () => {} });
    file.write('{"n":1}\n');
    expect(left).toBe('{"other":1}\n'); // refused while the other writes: given back, to be written after
    expect(fs.readFileSync(path, 'utf8')).toBe('');
    expect(other.tryWrite(left as string)).toBe('');
    state.full = false;
    file.close();
    expect(fs.readFileSync(path, 'utf8')).toBe('{"other":1}\n{"n":1}\n');
    scratch.remove();
  });

  it('drops the lines of a pipe whose reader left (EPIPE), without a word, as Node does', () => {
    const news: string[] = [];
    const io = { ...fs, writeSync: () => { throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' }); } } as unknown as LineIo;
    const file = new LineFile(9, { io, mayWait: false, onNews: (text) => news.push(text) });
    file.write('a\n');
    file.write('b\n');
    expect(file.waiting).toBe(false);
    expect(news).toEqual([]);
  });
});
