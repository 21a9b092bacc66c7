import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileOf, checksum, codeCacheSetting, keptFiles, readCache, writeCache, type CacheFile } from '../../src/core/code-cache';

/* The cache files' policy: where they go, which are read (only this user's), how they are written. */

let dir: string;
let bundle: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopguard-code-cache-test-'));
  bundle = join(dir, 'loopguard.js');
  writeFileSync(bundle, "'use strict';\nmodule.exports = 1;\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cacheOf = (env: NodeJS.ProcessEnv = { LOOPGUARD_CODE_CACHE: join(dir, 'cache') }): CacheFile => cacheFileOf(bundle, statSync(bundle), env)!;
// Bytes of no pattern (a stride of the checksum must not see only zeros, as (i * 7) & 0xff did).
const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) | 1));
const root = process.getuid?.() === 0;

describe('the setting', () => {
  it.each([['on', 'on'], [' OFF ', 'off'], ['/var/cache/bot', '/var/cache/bot'], ['cache', undefined], ['./cache', undefined], ['', undefined]])('%j is %j', (raw, value) => {
    expect(codeCacheSetting(raw)).toBe(value);
  });
});

describe('where a bundle\'s cache goes', () => {
  it('by default, a folder of this user\'s in the temporary folder (TMPDIR, TMP, TEMP or /tmp, as os.tmpdir() reads them)', () => {
    const cache = cacheOf({ TMPDIR: `${dir}/` });
    expect(cache.folder).toBe(join(dir, `loopguard-code-cache-${process.getuid!()}`));
    expect(cacheOf({}).folder).toBe(`/tmp/loopguard-code-cache-${process.getuid!()}`);
    expect(cacheOf({ TMP: dir }).folder).toBe(join(dir, `loopguard-code-cache-${process.getuid!()}`));
  });

  it('a file per bundle, Node version, architecture and installed file; the bundle\'s size and times in its header', () => {
    const cache = cacheOf();
    const s = statSync(bundle);
    expect(cache.file).toBe(join(dir, 'cache', `loopguard-${process.version}-${process.arch}-${s.dev}-${s.ino}.cache`));
    expect(cache.header).toBe(`loopguard code cache 1 ${s.size} ${s.mtimeMs} ${s.ctimeMs}`);
  });

  it('none when off or invalid (the settings stop the process then), or where a cache would show', () => {
    expect(cacheFileOf(bundle, statSync(bundle), { LOOPGUARD_CODE_CACHE: 'off' })).toBeUndefined();
    expect(cacheFileOf(bundle, statSync(bundle), { LOOPGUARD_CODE_CACHE: 'relative/folder' })).toBeUndefined();
    expect(cacheFileOf(bundle, statSync(bundle), { NODE_V8_COVERAGE: dir })).toBeUndefined();
  });
});

describe('a cache file', () => {
  it('is written with its header, mode 0600, in a folder made with mode 0700, and read back whole', async () => {
    const cache = cacheOf();
    expect(readCache(cache)).toBeUndefined();
    expect(await writeCache(cache, data)).toBe(true);
    expect(statSync(cache.folder).mode & 0o777).toBe(0o700);
    expect(statSync(cache.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(cache.file, 'latin1').split('\n')[0]).toBe(`${cache.header} ${data.length} ${checksum(data)}`);
    expect(readCache(cache)).toEqual(data);
    expect(readdirSync(cache.folder)).toEqual([cache.file.slice(cache.folder.length + 1)]);
  });

  it('is another bundle\'s once the bundle is rewritten in place (same size), and not read', async () => {
    const cache = cacheOf();
    await writeCache(cache, data);
    writeFileSync(bundle, "'use strict';\nmodule.exports = 2;\n");
    expect(readCache(cacheOf())).toBeUndefined();
  });

  it('is not read when damaged: cut short, or a 4 KB block of it zeroed (as a crash can leave one)', async () => {
    const cache = cacheOf();
    await writeCache(cache, data);
    const text = readFileSync(cache.file);
    writeFileSync(cache.file, text.subarray(0, text.length - 1));
    expect(readCache(cache)).toBeUndefined();
    const zeroed = Buffer.from(text);
    zeroed.fill(0, text.length - 8192, text.length - 4096);
    writeFileSync(cache.file, zeroed);
    expect(readCache(cache)).toBeUndefined();
  });

  it('is not read through a symbolic link, nor when others may write it or its folder', async () => {
    const cache = cacheOf();
    await writeCache(cache, data);
    chmodSync(cache.file, 0o620);
    expect(readCache(cache)).toBeUndefined();
    chmodSync(cache.file, 0o600);
    chmodSync(cache.folder, 0o777);
    expect(readCache(cache)).toBeUndefined();
    chmodSync(cache.folder, 0o700);
    expect(readCache(cache)).toEqual(data);
    const elsewhere = join(dir, 'elsewhere.cache');
    writeFileSync(elsewhere, readFileSync(cache.file), { mode: 0o600 });
    rmSync(cache.file);
    symlinkSync(elsewhere, cache.file);
    expect(readCache(cache)).toBeUndefined();
  });

  it.runIf(root)('is neither read nor written in a folder another user owns (one planted in /tmp before us)', async () => {
    const cache = cacheOf();
    await writeCache(cache, data);
    const before = statSync(cache.file).ino;
    chownSync(cache.folder, 65534, 65534);
    expect(readCache(cache)).toBeUndefined();
    expect(await writeCache(cache, data)).toBe(false);
    expect(statSync(cache.file).ino).toBe(before);
    chownSync(cache.folder, 0, 0);
    chownSync(cache.file, 65534, 65534);
    expect(readCache(cache)).toBeUndefined();
  });

  it('is replaced whole by a new write (a reader sees the old file or the new one)', async () => {
    const cache = cacheOf();
    await writeCache(cache, data);
    const before = statSync(cache.file).ino;
    const other = Buffer.alloc(5000, 3);
    expect(await writeCache(cache, other)).toBe(true);
    expect(statSync(cache.file).ino).not.toBe(before);
    expect(readCache(cache)).toEqual(other);
    expect(readdirSync(cache.folder)).toHaveLength(1);
  });

  it(`keeps the newest ${keptFiles} files of its folder`, async () => {
    const folder = join(dir, 'cache');
    mkdirSync(folder, { mode: 0o700 });
    for (let i = 0; i < keptFiles + 5; i++) {
      const old = join(folder, `old-${i}.cache`);
      writeFileSync(old, 'x');
      utimesSync(old, 1000 + i, 1000 + i);
    }
    writeFileSync(join(folder, 'notes.txt'), 'not a cache file');
    await writeCache(cacheOf(), data);
    const left = readdirSync(folder);
    expect(left.filter((name) => name.endsWith('.cache'))).toHaveLength(keptFiles);
    expect(left).toContain('notes.txt');
    expect(left).toContain(cacheOf().file.slice(folder.length + 1));
    for (let i = 0; i < 6; i++) expect(left).not.toContain(`old-${i}.cache`);
  });

  it('fails quietly where the folder cannot be made (a file in its way)', async () => {
    writeFileSync(join(dir, 'cache'), 'in the way');
    expect(await writeCache(cacheOf(), data)).toBe(false);
    expect(readCache(cacheOf())).toBeUndefined();
  });
});
