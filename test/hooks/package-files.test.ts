import Module, { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hookPackageFiles, type FileHook } from '../../src/hooks/package-files';

/* Real files in a real node_modules, loaded by Node's own CommonJS loader and by import(). */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A package `name` with an index that requires `files` (each exports { name: its path }). */
function fakePackage(name: string, files: string[]): { root: string; require: NodeJS.Require } {
  const root = mkdtempSync(join(tmpdir(), 'loopguard-hooks-'));
  dirs.push(root);
  const dir = join(root, 'node_modules', name);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
  for (const file of files) writeFileSync(join(dir, file), `exports.name = ${JSON.stringify(file)};`);
  writeFileSync(join(dir, 'index.js'), files.map((f) => `exports[${JSON.stringify(f)}] = require('./${f}');`).join('\n'));
  return { root, require: createRequire(join(root, 'app.js')) };
}

function recorder(file: string): FileHook & { seen: unknown[] } {
  const seen: unknown[] = [];
  return { file, seen, patch: (exports) => { seen.push(exports); return undefined; }, onError: (error) => { throw error; } };
}

describe('hookPackageFiles', () => {
  it('patches a package\'s internal file once, with its exports, when the package loads it', () => {
    const name = `fake-lib-${process.pid}-a`;
    const { require } = fakePackage(name, ['lib/a.js', 'lib/b.js']);
    const hook = recorder(`${name}/lib/b.js`);
    const undo = hookPackageFiles([hook]);
    try {
      const lib = require(name) as Record<string, unknown>;
      require(name);
      expect(hook.seen).toEqual([lib['lib/b.js']]);
    } finally {
      undo();
    }
  });

  it('patches a file an ES module imports by its path, and a file loaded before it was hooked', async () => {
    const name = `fake-lib-${process.pid}-b`;
    const { root, require } = fakePackage(name, ['lib/early.js', 'lib/direct.js']);
    const early = require(`${name}/lib/early.js`);
    const hooks = [recorder(`${name}/lib/early.js`), recorder(`${name}/lib/direct.js`)];
    const undo = hookPackageFiles(hooks);
    try {
      expect(hooks[0]!.seen).toEqual([early]);
      const direct = (await import(pathToFileURL(join(root, 'node_modules', name, 'lib/direct.js')).href)) as { default: unknown };
      expect(hooks[1]!.seen).toEqual([direct.default]);
    } finally {
      undo();
    }
  });

  it('resolves nothing of its own: a require is resolved as often as without it', () => {
    const files = Array.from({ length: 20 }, (_, i) => `lib/f${i}.js`);
    const resolves = (name: string, hooked: boolean): number => {
      const { require } = fakePackage(name, files);
      const loader = Module as unknown as { _resolveFilename: (...args: unknown[]) => unknown };
      const resolve = loader._resolveFilename;
      let count = 0;
      loader._resolveFilename = function (...args: unknown[]) {
        count++;
        return Reflect.apply(resolve, this, args);
      };
      const undo = hooked ? hookPackageFiles([recorder(`${name}/lib/f3.js`)]) : () => {};
      try {
        require(name);
      } finally {
        undo();
        loader._resolveFilename = resolve;
      }
      return count;
    };
    const plain = resolves(`fake-lib-${process.pid}-c`, false);
    expect(plain).toBeGreaterThanOrEqual(files.length);
    expect(resolves(`fake-lib-${process.pid}-d`, true)).toBe(plain);
  });

  it('after its undo, patches nothing more (also when another tool wrapped the loader after it)', () => {
    const name = `fake-lib-${process.pid}-e`;
    const { require } = fakePackage(name, ['lib/late.js']);
    const hook = recorder(`${name}/lib/late.js`);
    const proto = Module.prototype as unknown as { load: (...args: unknown[]) => unknown };
    const original = proto.load;
    const undo = hookPackageFiles([hook]);
    const ours = proto.load;
    proto.load = function (...args: unknown[]) {
      return Reflect.apply(ours, this, args);
    };
    try {
      undo();
      require(name);
      expect(hook.seen).toEqual([]);
    } finally {
      proto.load = original;
    }
  });
});
