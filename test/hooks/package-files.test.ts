import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hookPackageFiles, type FileHook } from '../../src/hooks/package-files';
import { countResolves } from '../support/resolves';
import { Scratch } from '../support/scratch';

/* A real package in a real node_modules folder, loaded by Node's own require. */

let scratch: Scratch;
const undos: (() => void)[] = [];
afterEach(() => {
  for (const undo of undos.splice(0).reverse()) undo();
  scratch?.remove();
});

/**
 * `<name>/node_modules/<name>` (main index.js, which requires ./inner.js) and `<name>/app.js`, which
 * requires it. A name a test's own: require.cache keeps every test's files.
 */
function tree(name: string): string {
  scratch ??= new Scratch();
  mkdirSync(scratch.path(join(name, 'node_modules', name)), { recursive: true });
  scratch.file(join(name, 'node_modules', name, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
  scratch.file(join(name, 'node_modules', name, 'inner.js'), 'exports.inner = () => "inner";');
  scratch.file(join(name, 'node_modules', name, 'index.js'), 'exports.inner = require("./inner.js"); exports.main = () => "main";');
  return scratch.file(join(name, 'app.js'), `module.exports = require(${JSON.stringify(name)});`);
}

const load = (app: string) => createRequire(app)(app) as { main(): string; inner: { inner(): string } };

function hook(file: string, key: string, log: string[]): FileHook {
  return {
    file,
    patch(exports) {
      const target = exports as Record<string, () => string>;
      const original = target[key] as () => string;
      target[key] = () => `patched ${original()}`;
      log.push(file);
      return () => { target[key] = original; };
    },
    onError(error) { throw error; },
  };
}

describe('hookPackageFiles', () => {
  it('patches a package\'s main file and internal file as the app loads them, each once', () => {
    scratch = new Scratch();
    const app = tree('one');
    const log: string[] = [];
    undos.push(hookPackageFiles([hook('one/index.js', 'main', log), hook('one/inner.js', 'inner', log)]));
    const lib = load(app);
    expect(lib.main()).toBe('patched main');
    expect(lib.inner.inner()).toBe('patched inner');
    expect(log).toEqual(['one/inner.js', 'one/index.js']);
  });

  it('patches files loaded before it at once, and its undo puts them back', () => {
    scratch = new Scratch();
    const lib = load(tree('before'));
    const undo = hookPackageFiles([hook('before/index.js', 'main', [])]);
    expect(lib.main()).toBe('patched main');
    undo();
    expect(lib.main()).toBe('main');
  });

  it('resolves nothing more than Node does for the app (require-in-the-middle resolved each require again)', () => {
    scratch = new Scratch();
    const resolves = countResolves();
    undos.push(resolves.undo);
    const count = (dir: string): number => {
      const app = tree(dir);
      resolves.reset();
      load(app);
      return resolves.count();
    };
    const plain = count('plain');
    undos.push(hookPackageFiles([hook('hooked/index.js', 'main', []), hook('hooked/inner.js', 'inner', [])]));
    expect(count('hooked')).toBe(plain);
  });

  it('a patch that throws is handed to its onError and the app still gets the module', () => {
    scratch = new Scratch();
    const app = tree('throws');
    const errors: unknown[] = [];
    undos.push(hookPackageFiles([{ file: 'throws/index.js', patch() { throw new Error('cannot patch'); }, onError: (e) => errors.push(e) }]));
    expect(load(app).main()).toBe('main');
    expect(errors).toEqual([new Error('cannot patch')]);
  });
});
