import Module, { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { watchModuleLoads } from '../../src/hooks/module-loaded';
import { countResolves } from '../support/resolves';
import { Scratch } from '../support/scratch';

/*
 * Node's CommonJS loader, watched through Module.prototype.loaded: real files loaded by Node's own
 * require (vitest runs this file, not those).
 */

let scratch: Scratch;
const undos: (() => void)[] = [];
afterEach(() => {
  for (const undo of undos.splice(0).reverse()) undo();
  scratch?.remove();
});

function watch(onLoaded: (filename: string, exports: unknown) => void): void {
  const undo = watchModuleLoads(onLoaded);
  expect(undo).toBeDefined();
  undos.push(undo as () => void);
}

/** A real file that records what its own `module` looked like while it ran. */
function moduleFile(name: string, extra = ''): string {
  scratch ??= new Scratch();
  return scratch.file(name, `${extra}
module.exports = { name: ${JSON.stringify(name)}, loadedWhileRunning: module.loaded, ownWhileRunning: Object.prototype.hasOwnProperty.call(module, 'loaded') };\n`);
}

describe('watchModuleLoads', () => {
  it('tells of each file once it has run, with its path and exports, before its requirer gets them', () => {
    scratch = new Scratch();
    const file = moduleFile('a.js');
    const seen: [string, unknown][] = [];
    watch((filename, exports) => {
      seen.push([filename, exports]);
      (exports as { patched?: boolean }).patched = true;
    });
    const exports = createRequire(file)(file) as Record<string, unknown>;
    expect(seen).toEqual([[file, exports]]);
    expect(exports.patched).toBe(true);
  });

  it('a module reads loaded false while it runs and has Node\'s own data property true after, as in plain Node', () => {
    scratch = new Scratch();
    const plainFile = moduleFile('plain.js');
    const plain = createRequire(plainFile)(plainFile) as Record<string, unknown>;
    const watchedFile = moduleFile('watched.js');
    watch(() => {});
    const watched = createRequire(watchedFile)(watchedFile) as Record<string, unknown>;
    expect(watched.loadedWhileRunning).toBe(plain.loadedWhileRunning);
    expect(watched.loadedWhileRunning).toBe(false);
    const cached = (file: string) => Object.getOwnPropertyDescriptor(require.cache[file] as object, 'loaded');
    expect(cached(watchedFile)).toEqual(cached(plainFile));
    expect(cached(watchedFile)).toEqual({ value: true, writable: true, enumerable: true, configurable: true });
  });

  it('resolves nothing: Node resolves as many times as without the watch', () => {
    scratch = new Scratch();
    const resolves = countResolves();
    undos.push(resolves.undo);
    const count = (name: string): number => {
      const b = moduleFile(`${name}-b.js`);
      const a = moduleFile(`${name}-a.js`, `require(${JSON.stringify(b)}); require('node:path');`);
      resolves.reset();
      createRequire(a)(a);
      return resolves.count();
    };
    const plain = count('plain');
    watch(() => {});
    expect(count('watched')).toBe(plain);
    expect(plain).toBeGreaterThan(0);
  });

  it('nothing thrown by the listener reaches the loader: the require succeeds', () => {
    scratch = new Scratch();
    const file = moduleFile('throws.js');
    watch(() => {
      throw new Error('listener failure');
    });
    expect((createRequire(file)(file) as Record<string, unknown>).name).toBe('throws.js');
  });

  it('undo: Module.prototype as before; a module loading at that moment keeps its own false, then true', () => {
    scratch = new Scratch();
    const before = Object.getOwnPropertyDescriptor(Module.prototype, 'loaded');
    const seen: string[] = [];
    const undo = watchModuleLoads((filename) => seen.push(filename)) as () => void;
    const file = moduleFile('undoes.js', 'globalThis.__undoWatch(); globalThis.__afterUndo = Object.getOwnPropertyDescriptor(module, "loaded");');
    const g = globalThis as { __undoWatch?: () => void; __afterUndo?: unknown };
    g.__undoWatch = undo;
    try {
      createRequire(file)(file);
      expect(g.__afterUndo).toEqual({ value: false, writable: true, enumerable: true, configurable: true });
    } finally {
      delete g.__undoWatch;
      delete g.__afterUndo;
    }
    expect(Object.getOwnPropertyDescriptor(Module.prototype, 'loaded')).toEqual(before);
    expect(Object.getOwnPropertyDescriptor(require.cache[file] as object, 'loaded')).toEqual({ value: true, writable: true, enumerable: true, configurable: true });
    expect(seen).toEqual([]);
    const later = moduleFile('later.js');
    createRequire(later)(later);
    expect(seen).toEqual([]);
  });

  it('two watches (two copies of loopguard) both see loads; undoing the first one leaves the second one watching', () => {
    scratch = new Scratch();
    const first: string[] = [];
    const second: string[] = [];
    const undoFirst = watchModuleLoads((f) => first.push(f)) as () => void;
    watch((f) => second.push(f));
    const one = moduleFile('one.js');
    createRequire(one)(one);
    undoFirst();
    const two = moduleFile('two.js');
    const exports = createRequire(two)(two) as Record<string, unknown>;
    expect(first).toEqual([one]);
    expect(second).toEqual([one, two]);
    expect(exports.loadedWhileRunning).toBe(false);
    expect(Object.getOwnPropertyDescriptor(require.cache[two] as object, 'loaded')?.value).toBe(true);
  });
});
