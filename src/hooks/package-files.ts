import { Module } from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { onBun } from '../core/bun';
import { groupBy } from '../core/group';
import { packageFilePath, packageOfFile } from '../core/packages';
import { replaceFunction } from '../core/patch';
import type { Undo } from '../core/undo';
import { watchModuleLoads } from './module-loaded';

/*
 * Patches files of npm packages when they load: the integrations' library files and the
 * blocking APIs of src/apis/packages.ts. Files loaded before loopguard are found in require.cache
 * and patched at once. On Node, every CommonJS file is seen as it finishes loading
 * (module-loaded.ts), by its path: for CommonJS apps and ESM apps alike (an ESM app's CommonJS
 * library requires its own files; a CommonJS file that ESM imports by path is loaded the same way).
 * Nothing is resolved: require-in-the-middle, which resolves every require a second time, made a
 * bot's start-up 70-130 ms slower. It stays for Bun, whose loader Node's hooks do not see.
 */

export interface FileHook {
  /** A file of a package, as `package/relative/path.js`. */
  readonly file: string;
  /** Patches the module's exports in place. Returns a function that undoes it, if it patched. */
  patch(exports: unknown): (() => void) | undefined;
  onError(error: unknown): void;
}

/** Hooks every file of `hooks` (now, when it is loaded already; else when the app loads it). Returns the undo. */
export function hookPackageFiles(hooks: readonly FileHook[]): Undo {
  const byFile = groupBy(hooks, (hook) => hook.file);
  const packages = [...new Set(hooks.map((h) => packageOfFile(h.file)))];
  const patched = new WeakMap<object, Set<FileHook>>();
  const undos: Undo[] = [];

  const apply = (file: string, exports: unknown): void => {
    const found = byFile.get(file);
    if (found === undefined || exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return;
    let done = patched.get(exports as object);
    if (done === undefined) patched.set(exports as object, done = new Set());
    for (const hook of found) {
      if (done.has(hook)) continue;
      done.add(hook);
      try {
        const undo = hook.patch(exports);
        if (undo !== undefined) undos.push(undo);
      } catch (error) {
        hook.onError(error);
      }
    }
  };

  const applyPath = (path: string, exports: unknown): void => {
    const file = packageFilePath(path);
    if (file !== undefined) apply(file, exports);
  };
  for (const [path, mod] of Object.entries(require.cache)) if (mod !== undefined) applyPath(path, mod.exports);

  const undoWatch = (onBun ? undefined : watchModuleLoads(applyPath)) ?? watchRequires(packages, apply, applyPath);
  return () => {
    undoWatch();
    for (const undo of undos.reverse()) undo();
  };
}

/*
 * Bun: require-in-the-middle with `internals` sees a package's own requires by name; a CommonJS
 * file that an ESM file imports directly (Oceanic.js' esm.mjs imports dist/lib/Client.js) comes
 * through Module._load with its absolute path, which is watched too. It loads only here.
 */
function watchRequires(packages: string[], apply: (file: string, exports: unknown) => void, applyPath: (path: string, exports: unknown) => void): Undo {
  const { Hook } = require('require-in-the-middle') as typeof import('require-in-the-middle');
  const hook = new Hook(packages, { internals: true }, (exports, name, basedir) => {
    // A package's main file comes by the package's name: name it by its path, as the others.
    apply(packages.includes(name) ? mainFileOf(name, basedir) : name.split(sep).join('/'), exports);
    return exports;
  });
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  const loadPatch = replaceFunction(loader, '_load', function (this: unknown, request: string) {
    const exports = Reflect.apply(load, this, arguments);
    if (typeof request === 'string' && isAbsolute(request)) applyPath(request, exports);
    return exports;
  });
  return () => {
    loadPatch?.undo();
    hook.unhook();
  };
}

/** `bcrypt/bcrypt.js` for bcrypt: require-in-the-middle has just made this very resolution (cached). */
function mainFileOf(name: string, basedir: string | undefined): string {
  if (basedir === undefined) return name;
  try {
    return `${name}/${relative(basedir, require.resolve(name, { paths: [basedir] })).split(sep).join('/')}`;
  } catch {
    return name;
  }
}
