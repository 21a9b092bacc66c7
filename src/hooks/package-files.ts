import Module from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { packageFilePath, packageOfFile } from '../core/packages';
import { replaceFunction } from '../core/patch';
import type { Undo } from '../core/undo';

/*
 * Patches files of npm packages when they load: the integrations' library files and the
 * blocking APIs of src/apis/packages.ts. On Node, every CommonJS file passes through
 * Module.prototype.load once, with its resolved path, as it finishes loading — whoever asked for
 * it (a package's own internal requires, an ESM app importing a CommonJS library or file
 * directly, Oceanic.js' esm.mjs importing dist/lib/Client.js). Nothing is resolved: a path is
 * compared with the hooked files. require-in-the-middle does the same through `require`, but
 * resolves every require a second time (about 80 ms of a discord.js bot's start on this
 * project's machine, 3/4 of what loopguard added to its time to READY); it stays the way on Bun,
 * whose loader calls no Module method. Files loaded before loopguard are found in require.cache
 * and patched at once.
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
  const byFile = new Map<string, FileHook[]>();
  for (const hook of hooks) byFile.set(hook.file, [...(byFile.get(hook.file) ?? []), hook]);
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

  const unhook = process.versions['bun'] === undefined ? onLoad(applyPath) : requireHook(packages, apply, applyPath);
  return () => {
    unhook();
    for (const undo of undos.reverse()) undo();
  };
}

/** Node: `found(path, exports)` for each CommonJS file as it finishes loading. Returns the undo (soft, when another tool wrapped load after loopguard). */
function onLoad(found: (path: string, exports: unknown) => void): Undo {
  const proto = Module.prototype as unknown as { load: (this: { exports: unknown }, filename: string) => void };
  const load = proto.load;
  let live = true;
  const replaced = replaceFunction(proto, 'load', function (this: { exports: unknown }, filename: string) {
    const result = Reflect.apply(load, this, arguments);
    if (live && typeof filename === 'string') found(filename, this.exports);
    return result;
  });
  return () => {
    live = false;
    replaced?.undo();
  };
}

/** Bun: require-in-the-middle, and Module._load for a file an ES module imports by its path. */
function requireHook(packages: string[], apply: (file: string, exports: unknown) => void, applyPath: (path: string, exports: unknown) => void): Undo {
  // Loaded here: on Node it is not needed (nor its dependencies loaded at start).
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
