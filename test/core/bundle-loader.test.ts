import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wrapperStart } from '../../src/core/bundle-loader';
import { cacheFileOf, headerLine } from '../../src/core/code-cache';
import { root } from '../support/run-node';

/*
 * dist/boot.js' loadBundle in real processes: a bundle loaded as `require` loads it, with V8's
 * code cache read only from this user's own files. The positive control: a cache made from
 * other code of the same length runs that code (V8 checks the length only), so a cache file that
 * is not ours must never be read.
 */

const boot = join(root, 'dist', 'boot.js');
const run = promisify(execFile);

let dir: string;
let bundle: string;
let folder: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopguard-bundle-loader-'));
  bundle = join(dir, 'bundle.js');
  folder = join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle whose exports say who made them and how it was loaded. */
const source = (who: string) => `'use strict';
module.exports = { who: ${JSON.stringify(who)}, filename: __filename, dirname: __dirname, registered: require.cache[__filename] === module, self: this === exports, sibling: require('./sibling.js') };
`;

async function load(env: NodeJS.ProcessEnv = {}, flags: string[] = []): Promise<{ who: string; loaded: boolean; [key: string]: unknown }> {
  const script = `const m = require(${JSON.stringify(boot)}).loadBundle(${JSON.stringify(bundle)}); setTimeout(() => console.log(JSON.stringify({ ...m, loaded: require.cache[${JSON.stringify(bundle)}].loaded })), 20);`;
  const { stdout } = await run(process.execPath, [...flags, '-e', script], { env: { PATH: process.env.PATH, LOOPGUARD_CODE_CACHE: folder, ...env } });
  return JSON.parse(stdout);
}

/** Plants a cache of `code` (as long as the bundle) where the bundle's would go, made by this Node with `flags`. */
async function plantCache(code: string, flags: string[] = []): Promise<string> {
  const make = `const vm = require('vm'); const s = new vm.Script(${JSON.stringify(`${wrapperStart}${code}\n})`)}, { filename: ${JSON.stringify(bundle)} });
    s.runInThisContext(); process.stdout.write(s.createCachedData().toString('base64'));`;
  const data = Buffer.from((await run(process.execPath, [...flags, '-e', make])).stdout, 'base64');
  const cache = cacheFileOf(bundle, statSync(bundle), { LOOPGUARD_CODE_CACHE: folder })!;
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeFileSync(cache.file, Buffer.concat([Buffer.from(headerLine(cache, data), 'latin1'), data]), { mode: 0o600 });
  return cache.file;
}

describe('loadBundle', () => {
  beforeEach(() => {
    writeFileSync(bundle, source('bundle'));
    writeFileSync(join(dir, 'sibling.js'), 'module.exports = "beside";');
  });

  it('loads a bundle as require does: its file and folder, registered while it runs, this = exports, requires beside it, loaded', async () => {
    expect(await load()).toEqual({ who: 'bundle', filename: bundle, dirname: dir, registered: true, self: true, sibling: 'beside', loaded: true });
    expect(await load({ LOOPGUARD_CODE_CACHE: 'off' })).toEqual({ who: 'bundle', filename: bundle, dirname: dir, registered: true, self: true, sibling: 'beside', loaded: true });
  });

  it('writes the cache at the first loop turn, and a later run takes it (V8 accepts it: no rewrite)', async () => {
    await load();
    const cache = cacheFileOf(bundle, statSync(bundle), { LOOPGUARD_CODE_CACHE: folder })!;
    const written = statSync(cache.file);
    await load();
    expect(statSync(cache.file).ino).toBe(written.ino);
  });

  it('rewrites a cache V8 refuses (made with other V8 flags), which the next run with those flags takes', async () => {
    await load();
    const cache = cacheFileOf(bundle, statSync(bundle), { LOOPGUARD_CODE_CACHE: folder })!;
    const first = statSync(cache.file).ino;
    await load({}, ['--no-opt']);
    const second = statSync(cache.file).ino;
    expect(second).not.toBe(first);
    await load({}, ['--no-opt']);
    expect(statSync(cache.file).ino).toBe(second);
  });

  it('runs what a cache of its own holds (the positive control: the cache is read, and it is code)', async () => {
    await plantCache(source('cached'));
    expect((await load()).who).toBe('cached');
  });

  const refusals: [string, () => NodeJS.ProcessEnv, string[]][] = [
    ['the setting is off', () => ({ LOOPGUARD_CODE_CACHE: 'off' }), []],
    ['source maps are on', () => ({}), ['--enable-source-maps']],
    ['others may write the folder', () => {
      chmodSync(folder, 0o777);
      return {};
    }, []],
    ['the bundle changed since (its times)', () => {
      utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
      return {};
    }, []],
  ];
  if (process.getuid?.() === 0) {
    refusals.push(['another user owns the folder', () => {
      chownSync(folder, 65534, 65534);
      return {};
    }, []]);
  }
  it.each(refusals)('does not read a cache when %s', async (_why, arrange, flags) => {
    await plantCache(source('cached'));
    expect((await load(arrange(), flags)).who).toBe('bundle');
  });

  it('loads nothing twice: a bundle already required is returned as it is', async () => {
    const script = `const a = require(${JSON.stringify(bundle)}); const b = require(${JSON.stringify(boot)}).loadBundle(${JSON.stringify(bundle)}); console.log(a === b);`;
    expect((await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, LOOPGUARD_CODE_CACHE: folder } })).stdout).toBe('true\n');
    expect(existsSync(folder)).toBe(false);
  });

  it('passes on what the bundle throws, as require would, and leaves it unregistered', async () => {
    writeFileSync(bundle, "'use strict';\nthrow new RangeError('bundle failed');\n");
    const script = `try { require(${JSON.stringify(boot)}).loadBundle(${JSON.stringify(bundle)}); } catch (e) { console.log(e.constructor.name, e.message, e.stack.split('\\n')[1].includes(${JSON.stringify(`${bundle}:2`)}), ${JSON.stringify(bundle)} in require.cache); }`;
    expect((await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, LOOPGUARD_CODE_CACHE: folder } })).stdout).toBe('RangeError bundle failed true false\n');
  });

  it('leaves the cache folder alone when off', async () => {
    await load({ LOOPGUARD_CODE_CACHE: 'off' });
    expect(existsSync(folder)).toBe(false);
    expect(readFileSync(bundle, 'utf8')).toBe(source('bundle'));
  });
});
