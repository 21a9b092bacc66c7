import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { appEntry, isBuiltinLoaded, isEsModule, loadsUnseen, nodeLoadList, onBuiltinLoad } from '../../src/core/modules';
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

describe('onBuiltinLoad', () => {
  const unloaded = (): string[] => ['dgram', 'domain', 'tty', 'v8', 'punycode', 'readline', 'repl', 'trace_events', 'wasi', 'cluster', 'http2', 'inspector'].filter((n) => !isBuiltinLoaded(n));
  const undos: (() => void)[] = [];
  afterEach(() => {
    for (const undo of undos.splice(0)) undo();
  });
  const watch = (fn: (name: string) => void): void => void undos.push(onBuiltinLoad(fn));

  it.skipIf(nodeLoadList.length === 0)('tells each builtin Node loads as it records it, before the require() returns, and leaves the list as Node makes it', () => {
    const [name] = unloaded();
    expect(name).toBeDefined(); // one of them is not loaded in a test process
    const from = nodeLoadList.length;
    const told: string[] = [];
    let returned = false;
    watch((n) => told.push(`${n}${returned ? ' after' : ''}`));
    require(`node:${name as string}`);
    returned = true;
    expect(told).toContain(name);
    expect(nodeLoadList.slice(from)).toContain(`NativeModule ${name as string}`);
    // Every entry where Node put it, an own value like any array's.
    expect(Object.keys(nodeLoadList).length).toBe(nodeLoadList.length);
    expect(Array.isArray(nodeLoadList)).toBe(true);
  });

  it.skipIf(nodeLoadList.length === 0)('tells an ES module\'s static import of a builtin before the module is evaluated', async () => {
    const [name] = unloaded();
    const key = Symbol.for('loopguard-test-evaluated');
    const seen: unknown[] = [];
    watch((n) => {
      if (n === name) seen.push((globalThis as Record<symbol, unknown>)[key] ?? 'not yet');
    });
    const s = folder();
    const file = s.file('imports.mjs', `import 'node:${name as string}';\nglobalThis[Symbol.for('loopguard-test-evaluated')] = 'evaluated';\n`);
    await import(pathToFileURL(file).href);
    expect(seen).toEqual(['not yet']);
    expect((globalThis as Record<symbol, unknown>)[key]).toBe('evaluated');
  });

  it.skipIf(nodeLoadList.length === 0)('keeps the entries of what a watcher loads itself, and goes on telling the loads after them', async () => {
    const [first, second, third] = unloaded();
    expect(third).toBeDefined();
    const told: string[] = [];
    watch((n) => {
      told.push(n);
      if (n === first) require(`node:${second as string}`); // within Node's push of `first`
    });
    require(`node:${first as string}`);
    await Promise.resolve(); // the entries Node's push cut off come back at the next microtask
    expect(nodeLoadList).toContain(`NativeModule ${first as string}`);
    expect(nodeLoadList).toContain(`NativeModule ${second as string}`);
    expect(Object.keys(nodeLoadList).length).toBe(nodeLoadList.length);
    require(`node:${third as string}`);
    expect(told).toContain(third);
    expect(nodeLoadList.at(-1)).toBe(`NativeModule ${third as string}`);
  });

  it.skipIf(nodeLoadList.length === 0)('says when the list grew in a way it did not see (loadsUnseen)', () => {
    const [name] = unloaded();
    watch(() => {});
    require(`node:${name as string}`);
    expect(loadsUnseen()).toBe(false);
    const list = nodeLoadList as string[];
    // Added without the list's push, as a Node that did not push would.
    Object.defineProperty(list, list.length, { value: 'NativeModule loopguard-test', writable: true, enumerable: true, configurable: true });
    try {
      expect(loadsUnseen()).toBe(true);
    } finally {
      list.length -= 1;
    }
  });

  it.skipIf(nodeLoadList.length === 0)('leaves the list an array\'s prototype again once nothing watches', () => {
    const [name] = unloaded();
    const told: string[] = [];
    const undoA = onBuiltinLoad((n) => told.push(`a ${n}`));
    const undoB = onBuiltinLoad((n) => told.push(`b ${n}`));
    expect(Object.getPrototypeOf(nodeLoadList)).not.toBe(Array.prototype);
    undoA();
    expect(Object.getPrototypeOf(nodeLoadList)).not.toBe(Array.prototype);
    undoB();
    expect(Object.getPrototypeOf(nodeLoadList)).toBe(Array.prototype);
    require(`node:${name as string}`);
    expect(told).toEqual([]);
  });
});
