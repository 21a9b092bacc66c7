import { closeSync, constants, fstatSync, lstat, lstatSync, mkdir, openSync, readdir, readFileSync, rename, stat, unlink, writeFile, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { onBun } from './bun';

/*
 * V8's code cache of loopguard's own bundles. Parsing dist/loopguard.js (185 KB) and compiling
 * the functions that installing runs are most of what the preload adds to every start (counted
 * with callgrind: bench/startup-instructions.js). V8 can skip both with the code a previous run
 * compiled, so the first loop turn of a run writes it, and later runs read it: half the
 * instructions the preload adds to `node -e 0` on Node 24.
 *
 * V8 checks a cache against its version, its flags and the source's length only, and runs what it
 * holds: a cache file is code. So only files that this user's processes made are read: the folder
 * and the file owned by this user, writable by nobody else (the default folder is made with mode
 * 0700 in the temporary folder, one per user), the file not a symbolic link. A file says which
 * bundle it was made from (size, modification and change times: rewriting the bundle, in place or
 * not, changes one of them) and carries a checksum of its data, read at a stride that any damaged
 * disk block crosses. Anything else, anything that fails, and the bundle is read as plain code.
 */

/** LOOPGUARD_CODE_CACHE's accepted values, as its error message and the docs say them. */
export const codeCacheAccepted = 'on, off, or an absolute path of a folder';

/** The setting: `on`, `off` or an absolute folder, from the variable's text; undefined if invalid. */
export function codeCacheSetting(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  const word = value.toLowerCase();
  if (word === 'on' || word === 'off') return word;
  return isAbsolute(value) ? value : undefined;
}

/** A bundle's cache file, and what a cache must say to be this bundle's. */
export interface CacheFile {
  folder: string;
  file: string;
  /** The file's first line: the bundle it was made from. */
  header: string;
}

/** How many cache files a folder keeps (the newest): a reinstalled bundle is a new file. */
export const keptFiles = 32;

/** Bytes between the bytes the checksum reads: 16 of them in every 4 KB block (every 64th took 0.4-1.4 ms a start: V8 compiled the loop). */
const checksumStride = 256;

const magic = 'loopguard code cache 1';

/**
 * Where `bundle` (its path and the stat of what was read) has its cache, or undefined when none is
 * used: the setting is off or invalid (the settings then stop the process with their message),
 * or the process is one where a cache would change what the app sees (source maps are on: a cache
 * would show loopguard's frames without them; V8 coverage; Node's permission model) or cannot be
 * owned by a user (Windows, which has no uid) or is not Node (Bun).
 */
export function cacheFileOf(bundle: string, read: Stats, env: NodeJS.ProcessEnv = process.env): CacheFile | undefined {
  const setting = codeCacheSetting(env.LOOPGUARD_CODE_CACHE === undefined || env.LOOPGUARD_CODE_CACHE.trim() === '' ? 'on' : env.LOOPGUARD_CODE_CACHE);
  if (setting === undefined || setting === 'off' || typeof process.getuid !== 'function') return undefined;
  if (onBun || process.sourceMapsEnabled || env.NODE_V8_COVERAGE !== undefined) return undefined;
  if ((process as { permission?: unknown }).permission !== undefined) return undefined;
  const folder = setting === 'on' ? join(temporaryFolder(env), `loopguard-code-cache-${process.getuid()}`) : setting;
  // The file's name tells bundles and runtimes apart (two installs, two Node versions side by side).
  const base = bundle.slice(Math.max(bundle.lastIndexOf('/'), bundle.lastIndexOf('\\')) + 1).replace(/\.js$/, '');
  const name = `${base}-${process.version}-${process.arch}-${read.dev}-${read.ino}.cache`;
  return { folder, file: join(folder, name), header: `${magic} ${read.size} ${read.mtimeMs} ${read.ctimeMs}` };
}

/** os.tmpdir()'s rule on POSIX, without loading node:os (0.3 ms of every start). */
function temporaryFolder(env: NodeJS.ProcessEnv): string {
  const folder = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return folder.length > 1 && folder.endsWith('/') ? folder.slice(0, -1) : folder;
}

/** Owned by this user and writable by nobody else. */
function trusted(s: Stats): boolean {
  return s.uid === process.getuid!() && (s.mode & 0o022) === 0;
}

/** The cached data for `cache`, or undefined (none, not trusted, another bundle's, damaged). */
export function readCache(cache: CacheFile): Buffer | undefined {
  try {
    const folder = lstatSync(cache.folder);
    if (!folder.isDirectory() || !trusted(folder)) return undefined;
    const fd = openSync(cache.file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: Buffer;
    try {
      const file = fstatSync(fd);
      if (!file.isFile() || !trusted(file)) return undefined;
      text = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    const end = text.indexOf(10);
    const data = text.subarray(end + 1);
    return end > 0 && text.toString('latin1', 0, end + 1) === headerLine(cache, data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** FNV-1a over every `checksumStride`-th byte and the length: a damaged block, a cut file show. */
export function checksum(data: Uint8Array): number {
  let hash = 0x811c9dc5 ^ data.length;
  for (let i = 0; i < data.length; i += checksumStride) hash = Math.imul(hash ^ data[i]!, 0x01000193);
  return hash >>> 0;
}

/** The line that starts a cache file of `data`. */
export function headerLine(cache: CacheFile, data: Uint8Array): string {
  return `${cache.header} ${data.length} ${checksum(data)}\n`;
}

// The callback API, promised when a write needs it: node:fs/promises is not loaded at start-up,
// and loading it costs 6 million instructions (Node 24), more than the rest of this file.
const promised = () => ({
  lstat: promisify(lstat), mkdir: promisify(mkdir), readdir: promisify(readdir), rename: promisify(rename),
  stat: promisify(stat), unlink: promisify(unlink), writeFile: promisify(writeFile),
});
type Promised = ReturnType<typeof promised>;

/**
 * Writes `data` as `cache`'s file: the folder made (0700) if missing and checked as a read checks
 * it, a file of its own renamed into place (a reader sees a whole file or none), then the oldest
 * beyond `keptFiles` removed. Asynchronous, and it never fails: a cache is an optimisation.
 */
export async function writeCache(cache: CacheFile, data: Uint8Array): Promise<boolean> {
  const fsp = promised();
  try {
    await fsp.mkdir(cache.folder, { recursive: true, mode: 0o700 });
    const folder = await fsp.lstat(cache.folder);
    if (!folder.isDirectory() || !trusted(folder)) return false;
    const temporary = `${cache.file}.${process.pid}-${Date.now()}.tmp`;
    try {
      await fsp.writeFile(temporary, Buffer.concat([Buffer.from(headerLine(cache, data), 'latin1'), data]), { mode: 0o600, flag: 'wx' });
      await fsp.rename(temporary, cache.file);
    } catch (error) {
      await fsp.unlink(temporary).catch(() => undefined);
      throw error;
    }
    await prune(fsp, cache.folder);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the newest `keptFiles` cache files of a folder (by modification time). */
async function prune(fsp: Promised, folder: string): Promise<void> {
  const names = (await fsp.readdir(folder)).filter((name) => name.endsWith('.cache'));
  if (names.length <= keptFiles) return;
  const times = await Promise.all(names.map(async (name) => [name, (await fsp.stat(join(folder, name)).catch(() => undefined))?.mtimeMs ?? 0] as const));
  times.sort((a, b) => b[1] - a[1]);
  await Promise.all(times.slice(keptFiles).map(([name]) => fsp.unlink(join(folder, name)).catch(() => undefined)));
}
