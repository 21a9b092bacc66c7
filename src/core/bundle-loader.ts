import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';
import { cacheFileOf, readCache, writeCache, type CacheFile } from './code-cache';

/*
 * Loads one of loopguard's bundles as CommonJS, as `require` would (one instance in require.cache,
 * the same module, exports, require, __filename and __dirname), but compiled with V8's code cache
 * (core/code-cache.ts) when there is one, and a cache written at the first loop turn when there
 * was none or V8 refused it. The entry points load their bundle through it (scripts/build.js).
 */

/** Node's CommonJS wrapper, on the source's first line: every other line keeps its number. */
export const wrapperStart = '(function (exports, require, module, __filename, __dirname) { ';

interface NodeModule {
  exports: unknown;
  filename: string;
  loaded: boolean;
  paths: string[];
}
type ModuleClass = { new (id: string, parent?: unknown): NodeModule; _nodeModulePaths?(from: string): string[] };

/** `filename`'s exports: the module already loaded, else loaded from the bundle with the cache, else by plain require. */
export function loadBundle(filename: string, parent?: unknown): unknown {
  const loaded = require.cache[filename];
  if (loaded !== undefined) return loaded.exports;
  const read = readBundle(filename);
  if (read === undefined) return require(filename);
  const { source, cache } = read;
  const cachedData = readCache(cache);
  const script = new Script(`${wrapperStart}${source}\n})`, {
    filename,
    ...(cachedData === undefined ? {} : { cachedData }),
    // The bundles make no import(); should one, it resolves as it would in a required file.
    ...(vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER === undefined ? {} : { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER }),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) writeAtFirstTurn(script, cache);
  return run(script, filename, parent);
}

/** The bundle's text and its cache file, or undefined when no cache is used (or it cannot be read so). */
function readBundle(filename: string): { source: string; cache: CacheFile } | undefined {
  try {
    const fd = openSync(filename, 'r');
    try {
      const cache = cacheFileOf(filename, fstatSync(fd));
      return cache === undefined ? undefined : { source: readFileSync(fd, 'utf8'), cache };
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Runs the compiled wrapper as Node runs a module's: registered first (cycles see it), removed if it throws. */
function run(script: Script, filename: string, parent: unknown): unknown {
  const ModuleClass = Module as unknown as ModuleClass;
  const module = new ModuleClass(filename, parent);
  module.filename = filename;
  module.paths = ModuleClass._nodeModulePaths?.(dirname(filename)) ?? [];
  require.cache[filename] = module as unknown as NodeJS.Module;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  } catch (error) {
    delete require.cache[filename];
    throw error;
  }
  module.loaded = true;
  return module.exports;
}

/**
 * The code V8 has compiled by the first loop turn (the bundle's top level and what installing ran)
 * is what the next start needs; made then, written without blocking, never keeping the process up.
 */
function writeAtFirstTurn(script: Script, cache: CacheFile): void {
  setImmediate(() => {
    let data: Buffer;
    try {
      data = script.createCachedData();
    } catch {
      return;
    }
    void writeCache(cache, data);
  }).unref();
}
