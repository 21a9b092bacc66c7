import { channel } from 'node:diagnostics_channel';
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { appEntry, builtinsLoadedSince, isBuiltinLoaded, isEsModule, moduleChannels, nodeLoadList, whileImporting } from '../../src/core/modules';
import { Scratch } from '../support/scratch';

const scratches: Scratch[] = [];
afterEach(() => {
  for (const s of scratches.splice(0)) s.remove();
});

function folder(): Scratch {
  const s = new Scratch();
  scratches.push(s);
  return s;
}

describe('isEsModule', () => {
  it('goes by the extension first', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    expect(isEsModule(s.path('a.mjs'))).toBe(true);
    expect(isEsModule(s.path('a.mts'))).toBe(true);
    expect(isEsModule(s.path('a.cjs'))).toBe(false);
    expect(isEsModule(s.path('a.cts'))).toBe(false);
  });

  it('else by the nearest package.json\'s "type", past folders without one', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    mkdirSync(s.path('src/deep'), { recursive: true });
    expect(isEsModule(s.path('src/deep/a.js'))).toBe(true);
    s.file('src/package.json', '{"name":"inner"}');
    expect(isEsModule(s.path('src/deep/a.js'))).toBe(false);
  });

  it('is false for a package.json Node could not read either, and where there is none', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"');
    expect(isEsModule(s.path('a.js'))).toBe(false);
    expect(isEsModule('/a.js')).toBe(false);
  });
});

describe('appEntry', () => {
  const argv1 = process.argv[1];
  afterEach(() => {
    process.argv[1] = argv1 as string;
  });

  it('is the entry file and its kind, read again when process.argv[1] changes', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    process.argv[1] = s.path('app.js');
    expect(appEntry()).toEqual({ file: s.path('app.js'), esModule: true });
    expect(appEntry()).toBe(appEntry());
    process.argv[1] = s.path('app.cjs');
    expect(appEntry()).toEqual({ file: s.path('app.cjs'), esModule: false });
  });
});

describe('whileImporting', () => {
  const start = channel('tracing:module.import:start');
  const asyncEnd = channel('tracing:module.import:asyncEnd');
  const argv1 = process.argv[1];
  afterEach(() => {
    process.argv[1] = argv1 as string;
  });

  it.runIf(moduleChannels)('keeps what it began from the first import\'s start to the last one\'s asyncEnd, the same messages', () => {
    let begun = 0;
    let ended = 0;
    const undo = whileImporting(() => {
      begun++;
      return () => ended++;
    });
    try {
      const a = { url: './a.mjs' };
      const b = { url: './b.mjs' };
      start.publish(a);
      start.publish(b);
      expect([begun, ended]).toEqual([1, 0]);
      asyncEnd.publish({ url: './a.mjs' }); // not a message it saw start
      asyncEnd.publish(a);
      expect([begun, ended]).toEqual([1, 0]);
      asyncEnd.publish(b);
      expect([begun, ended]).toEqual([1, 1]);
      start.publish(a);
      expect([begun, ended]).toEqual([2, 1]);
    } finally {
      undo();
    }
    expect(ended).toBe(2); // the undo ends what is going
  });

  it.runIf(moduleChannels)('leaves out Node\'s import of a CommonJS entry, whose requires are seen one by one', () => {
    const s = folder();
    process.argv[1] = s.file('app.cjs', '');
    let begun = 0;
    const undo = whileImporting(() => {
      begun++;
      return () => {};
    });
    try {
      start.publish({ id: pathToFileURL(process.argv[1]).href });
      expect(begun).toBe(0);
      start.publish({ id: pathToFileURL(s.path('other.mjs')).href });
      expect(begun).toBe(1);
    } finally {
      undo();
    }
  });

  it.runIf(!moduleChannels)('begins at once and keeps it on where Node has no module channels (nothing tells when imports settle)', () => {
    let begun = 0;
    let ended = 0;
    const undo = whileImporting(() => {
      begun++;
      return () => ended++;
    });
    expect([begun, ended]).toEqual([1, 0]);
    start.publish({ url: './a.mjs' });
    asyncEnd.publish({ url: './a.mjs' });
    expect([begun, ended]).toEqual([1, 0]);
    undo();
    expect([begun, ended]).toEqual([1, 1]);
  });
});

describe('builtinsLoadedSince', () => {
  it.skipIf(nodeLoadList.length === 0)('gives the builtins Node loaded from an index of its list on, each once, and where to look from next', () => {
    const name = ['dgram', 'domain', 'tty', 'v8', 'punycode', 'readline', 'repl'].find((n) => !isBuiltinLoaded(n));
    expect(name).toBeDefined(); // one of them is not loaded in a test process
    const from = nodeLoadList.length;
    const seen: string[] = [];
    expect(builtinsLoadedSince(from, (n) => seen.push(n))).toBe(from);
    expect(seen).toEqual([]);
    require(`node:${name as string}`);
    const next = builtinsLoadedSince(from, (n) => seen.push(n));
    expect(next).toBe(nodeLoadList.length);
    expect(seen).toContain(name);
    expect(seen.every((n) => !n.startsWith('NativeModule'))).toBe(true);
    seen.length = 0;
    expect(builtinsLoadedSince(next, (n) => seen.push(n))).toBe(next);
    expect(seen).toEqual([]);
  });
});
