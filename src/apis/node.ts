import type { ApiEntry, ApiFamily, ApiKind } from './types';

/*
 * The blocking APIs of Node itself. This table drives the patching, the README's table
 * (scripts/api-table.js) and the table-driven tests (test/definitions.ts).
 * Families below catch `*Sync` functions that a newer Node adds before this table knows them.
 */

const fs = (name: string, alternative: string, extra: Partial<ApiEntry> = {}): ApiEntry => ({
  api: `fs.${name}`,
  module: 'fs',
  path: [name],
  kind: 'file-system',
  alternative,
  ...extra,
});
const promisesOf = (name: string): string => `fs.promises.${name.replace(/Sync$/, '')}`;
const fsp = (name: string, extra: Partial<ApiEntry> = {}): ApiEntry => fs(name, promisesOf(name), extra);
const handle = (name: string, method: string, extra: Partial<ApiEntry> = {}): ApiEntry =>
  fs(name, `FileHandle#${method} (from fs.promises.open)`, extra);

const fsEntries: ApiEntry[] = [
  fsp('accessSync'),
  fsp('appendFileSync'),
  fsp('chmodSync'),
  fsp('chownSync'),
  handle('closeSync', 'close'),
  fsp('copyFileSync'),
  fsp('cpSync'),
  fs('existsSync', 'fs.promises.access (or fs.promises.stat)'),
  handle('fchmodSync', 'chmod'),
  handle('fchownSync', 'chown'),
  handle('fdatasyncSync', 'datasync', { exempt: 'stdio' }),
  handle('fstatSync', 'stat'),
  handle('fsyncSync', 'sync', { exempt: 'stdio' }),
  handle('ftruncateSync', 'truncate'),
  handle('futimesSync', 'utimes'),
  fsp('globSync', { since: 22 }),
  fsp('lchownSync'),
  fsp('linkSync'),
  fsp('lstatSync'),
  fsp('lutimesSync'),
  fsp('mkdirSync'),
  fsp('mkdtempSync'),
  fsp('mkdtempDisposableSync', { since: 24 }),
  fsp('openSync'),
  fs('openAsBlobSync', 'fs.openAsBlob', { since: 26 }),
  fsp('opendirSync'),
  fsp('readdirSync'),
  fsp('readFileSync'),
  fsp('readlinkSync'),
  handle('readSync', 'read'),
  handle('readvSync', 'readv'),
  fsp('realpathSync'),
  fsp('renameSync'),
  fsp('rmdirSync'),
  fsp('rmSync'),
  fsp('statfsSync'),
  fsp('statSync'),
  fsp('symlinkSync'),
  fsp('truncateSync'),
  fsp('unlinkSync'),
  fsp('utimesSync'),
  fs('writeFileSync', 'fs.promises.writeFile', { exempt: 'stdio' }),
  handle('writeSync', 'write', { exempt: 'stdio' }),
  handle('writevSync', 'writev', { exempt: 'stdio' }),
  fs('Dir#readSync', 'Dir#read (or for await ... of dir)', { path: ['Dir', 'prototype', 'readSync'] }),
  fs('Dir#closeSync', 'Dir#close', { path: ['Dir', 'prototype', 'closeSync'] }),
];

const processEntries: ApiEntry[] = [
  {
    api: 'child_process.execSync',
    module: 'child_process',
    path: ['execSync'],
    kind: 'process',
    alternative: 'util.promisify(child_process.execFile) (or child_process.exec with a callback)',
    detail: 'program',
  },
  {
    api: 'child_process.execFileSync',
    module: 'child_process',
    path: ['execFileSync'],
    kind: 'process',
    alternative: 'util.promisify(child_process.execFile)',
    detail: 'program',
  },
  {
    api: 'child_process.spawnSync',
    module: 'child_process',
    path: ['spawnSync'],
    kind: 'process',
    alternative: 'child_process.spawn (wait for its "close" event)',
    detail: 'program',
  },
];

const zlibCallback = (name: string): string => `zlib.${name.replace(/Sync$/, '')} (callback, or util.promisify)`;
const zlib = (name: string, since?: number): ApiEntry => ({
  api: `zlib.${name}`,
  module: 'zlib',
  path: [name],
  kind: 'compression',
  alternative: zlibCallback(name),
  ...(since === undefined ? {} : { since }),
});
const zlibEntries: ApiEntry[] = [
  zlib('brotliCompressSync'),
  zlib('brotliDecompressSync'),
  zlib('deflateRawSync'),
  zlib('deflateSync'),
  zlib('gunzipSync'),
  zlib('gzipSync'),
  zlib('inflateRawSync'),
  zlib('inflateSync'),
  zlib('unzipSync'),
  zlib('zstdCompressSync', 22),
  zlib('zstdDecompressSync', 22),
  zlib('createZipArchiveSync', 26),
];

const crypto = (name: string, alternative: string, since?: number): ApiEntry => ({
  api: `crypto.${name}`,
  module: 'crypto',
  path: [name],
  kind: 'crypto',
  alternative,
  ...(since === undefined ? {} : { since }),
});
const cryptoEntries: ApiEntry[] = [
  crypto('argon2Sync', 'crypto.argon2', 24),
  crypto('checkPrimeSync', 'crypto.checkPrime'),
  crypto('generateKeyPairSync', 'crypto.generateKeyPair'),
  crypto('generateKeySync', 'crypto.generateKey'),
  crypto('generatePrimeSync', 'crypto.generatePrime'),
  crypto('hkdfSync', 'crypto.hkdf'),
  crypto('pbkdf2Sync', 'crypto.pbkdf2'),
  crypto('randomFillSync', 'crypto.randomFill'),
  crypto('scryptSync', 'crypto.scrypt'),
];

const syncEntries: ApiEntry[] = [
  {
    api: 'Atomics.wait',
    module: 'globalThis',
    path: ['Atomics', 'wait'],
    kind: 'synchronisation',
    alternative: 'Atomics.waitAsync',
    mainThreadOnly: true,
  },
];

const sqlite = (cls: 'DatabaseSync' | 'StatementSync', method: string): ApiEntry => ({
  api: `sqlite.${cls}#${method}`,
  module: 'sqlite',
  path: [cls, 'prototype', method],
  kind: 'database',
  alternative: 'a worker thread, or an async driver (e.g. the sqlite3 package)',
  since: 22,
  lazy: true,
});
const sqliteEntries: ApiEntry[] = [
  sqlite('DatabaseSync', 'open'),
  sqlite('DatabaseSync', 'exec'),
  sqlite('DatabaseSync', 'prepare'),
  sqlite('StatementSync', 'run'),
  sqlite('StatementSync', 'get'),
  sqlite('StatementSync', 'all'),
  sqlite('StatementSync', 'iterate'),
];

const dgram = (name: string): ApiEntry => ({
  api: `dgram.Socket#${name}`,
  module: 'dgram',
  path: ['Socket', 'prototype', name],
  kind: 'network',
  alternative: `dgram.Socket#${name.replace(/Sync$/, '')} (callback)`,
  since: 24,
});
const networkEntries: ApiEntry[] = [dgram('bindSync'), dgram('connectSync')];

export const nodeApis: readonly ApiEntry[] = [
  ...fsEntries,
  ...processEntries,
  ...zlibEntries,
  ...cryptoEntries,
  ...syncEntries,
  ...sqliteEntries,
  ...networkEntries,
];

const family = (module: string, kind: ApiKind, alternative: (name: string) => string): ApiFamily => ({
  module,
  pattern: /^[a-zA-Z0-9]+Sync$/,
  kind,
  alternative,
});

/** `*Sync` exports that a newer Node adds are wrapped too, with a derived alternative. */
export const nodeFamilies: readonly ApiFamily[] = [
  family('fs', 'file-system', promisesOf),
  family('zlib', 'compression', zlibCallback),
  family('crypto', 'crypto', (name) => `crypto.${name.replace(/Sync$/, '')}`),
  family('child_process', 'process', (name) => `child_process.${name.replace(/Sync$/, '')}`),
];
