/*
 * How to call each API of the table for real, in the spirit of OpenTelemetry contrib's
 * test/definitions.ts. `prepare` runs outside any handler (making files, opening descriptors);
 * the call itself is made by the tests inside or outside a handler.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import type { Scratch } from '../support/scratch';

export interface Prepared {
  /** `this` for the call (module exports for module functions, the instance for methods). */
  self?: unknown;
  args: unknown[];
  /** Runs after the test, whatever happened (closing descriptors the call did not close). */
  cleanup?: (result: unknown) => void;
  /** True when the call has had its effect (for effects the folder snapshot cannot see). */
  changed?: () => boolean;
}

export interface Definition {
  api: string;
  prepare(s: Scratch): Prepared;
}

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const closeQuietly = (fd: number) => () => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed by the call under test
  }
};
const withFd = (flags: string, extra: (fd: number, s: Scratch) => unknown[] = (fd) => [fd]) => (s: Scratch): Prepared => {
  const fd = fs.openSync(s.file('fd.txt'), flags);
  return { args: extra(fd, s), cleanup: closeQuietly(fd) };
};
const plain = (args: (s: Scratch) => unknown[]) => (s: Scratch): Prepared => ({ args: args(s) });
const fileArg = (...rest: unknown[]) => plain((s) => [s.file('a.txt'), ...rest]);
const dirHandle = (s: Scratch): Prepared => {
  s.file('entry.txt');
  const dir = fs.opendirSync(s.dir);
  return { self: dir, args: [], cleanup: () => { try { dir.closeSync(); } catch { /* closed */ } } };
};
const zipped = (compress: (b: Buffer) => Buffer) => (): Prepared => ({ args: [compress(Buffer.from('hello loopguard'))] });
const raw = (): Prepared => ({ args: [Buffer.from('hello loopguard')] });

type ZlibSync = (b: Buffer) => Buffer;
const zlibFn = (name: string): ZlibSync => (zlib as unknown as Record<string, ZlibSync>)[name] as ZlibSync;

type SqliteModule = { DatabaseSync: new (path: string, options?: object) => { prepare(sql: string): unknown; close(): void } };
const sqlite = (): SqliteModule =>
  (process as unknown as { getBuiltinModule(id: string): SqliteModule }).getBuiltinModule('node:sqlite');
const database = (open = true) => (s: Scratch): Prepared => {
  const db = new (sqlite().DatabaseSync)(s.path('db.sqlite'), { open });
  return { self: db, args: open ? ['CREATE TABLE IF NOT EXISTS t(x)'] : [], cleanup: () => { try { db.close(); } catch { /* closed */ } } };
};
const statement = (s: Scratch): Prepared => {
  const db = new (sqlite().DatabaseSync)(s.path('db.sqlite'));
  return { self: db.prepare('SELECT 1 AS one'), args: [], cleanup: () => db.close() };
};
const udpSocket = (args: unknown[]) => (): Prepared => {
  const socket = dgram.createSocket('udp4');
  return { self: socket, args, cleanup: () => socket.close() };
};

export const definitions: Definition[] = [
  { api: 'fs.accessSync', prepare: fileArg() },
  { api: 'fs.appendFileSync', prepare: plain((s) => [s.path('appended.txt'), 'x']) },
  { api: 'fs.chmodSync', prepare: fileArg(0o600) },
  { api: 'fs.chownSync', prepare: fileArg(uid, gid) },
  { api: 'fs.closeSync', prepare: withFd('r') },
  { api: 'fs.copyFileSync', prepare: plain((s) => [s.file('a.txt'), s.path('copy.txt')]) },
  { api: 'fs.cpSync', prepare: plain((s) => [s.file('a.txt'), s.path('cp.txt')]) },
  { api: 'fs.existsSync', prepare: fileArg() },
  { api: 'fs.fchmodSync', prepare: withFd('r', (fd) => [fd, 0o600]) },
  { api: 'fs.fchownSync', prepare: withFd('r', (fd) => [fd, uid, gid]) },
  { api: 'fs.fdatasyncSync', prepare: withFd('r+') },
  { api: 'fs.fstatSync', prepare: withFd('r') },
  { api: 'fs.fsyncSync', prepare: withFd('r+') },
  { api: 'fs.ftruncateSync', prepare: withFd('r+', (fd) => [fd, 0]) },
  { api: 'fs.futimesSync', prepare: withFd('r', (fd) => [fd, 1, 1]) },
  { api: 'fs.globSync', prepare: plain((s) => { s.file('a.txt'); return ['*.txt', { cwd: s.dir }]; }) },
  { api: 'fs.lchownSync', prepare: fileArg(uid, gid) },
  { api: 'fs.linkSync', prepare: plain((s) => [s.file('a.txt'), s.path('link.txt')]) },
  { api: 'fs.lstatSync', prepare: fileArg() },
  { api: 'fs.lutimesSync', prepare: fileArg(1, 1) },
  { api: 'fs.mkdirSync', prepare: plain((s) => [s.path('made')]) },
  { api: 'fs.mkdtempSync', prepare: plain((s) => [s.path('tmp-')]) },
  { api: 'fs.mkdtempDisposableSync', prepare: plain((s) => [s.path('tmp-')]) },
  {
    api: 'fs.openSync',
    prepare: (s) => ({ args: [s.path('opened.txt'), 'w'], cleanup: (fd) => typeof fd === 'number' && closeQuietly(fd)() }),
  },
  { api: 'fs.openAsBlobSync', prepare: fileArg() },
  {
    api: 'fs.opendirSync',
    prepare: (s) => ({ args: [s.dir], cleanup: (dir) => (dir as fs.Dir | undefined)?.closeSync() }),
  },
  { api: 'fs.readdirSync', prepare: plain((s) => [s.dir]) },
  { api: 'fs.readFileSync', prepare: fileArg() },
  {
    api: 'fs.readlinkSync',
    prepare: plain((s) => { fs.symlinkSync(s.file('a.txt'), s.path('ln')); return [s.path('ln')]; }),
  },
  { api: 'fs.readSync', prepare: withFd('r', (fd) => [fd, Buffer.alloc(8), 0, 8, 0]) },
  { api: 'fs.readvSync', prepare: withFd('r', (fd) => [fd, [Buffer.alloc(8)]]) },
  { api: 'fs.realpathSync', prepare: fileArg() },
  { api: 'fs.renameSync', prepare: plain((s) => [s.file('a.txt'), s.path('renamed.txt')]) },
  { api: 'fs.rmdirSync', prepare: plain((s) => { fs.mkdirSync(s.path('d')); return [s.path('d')]; }) },
  { api: 'fs.rmSync', prepare: fileArg() },
  { api: 'fs.statfsSync', prepare: plain((s) => [s.dir]) },
  { api: 'fs.statSync', prepare: fileArg() },
  { api: 'fs.symlinkSync', prepare: plain((s) => [s.file('a.txt'), s.path('sym.txt')]) },
  { api: 'fs.truncateSync', prepare: fileArg(0) },
  { api: 'fs.unlinkSync', prepare: fileArg() },
  { api: 'fs.utimesSync', prepare: fileArg(1, 1) },
  { api: 'fs.writeFileSync', prepare: plain((s) => [s.path('written.txt'), 'x']) },
  { api: 'fs.writeSync', prepare: withFd('r+', (fd) => [fd, 'xyz', 100]) },
  { api: 'fs.writevSync', prepare: withFd('r+', (fd) => [fd, [Buffer.from('xyz')], 100]) },
  { api: 'fs.Dir#readSync', prepare: dirHandle },
  { api: 'fs.Dir#closeSync', prepare: dirHandle },

  { api: 'child_process.execSync', prepare: plain((s) => [`touch ${s.path('exec-ran')}`]) },
  { api: 'child_process.execFileSync', prepare: plain((s) => ['touch', [s.path('execfile-ran')]]) },
  { api: 'child_process.spawnSync', prepare: plain((s) => ['touch', [s.path('spawn-ran')]]) },

  { api: 'zlib.brotliCompressSync', prepare: raw },
  { api: 'zlib.brotliDecompressSync', prepare: zipped(zlib.brotliCompressSync) },
  { api: 'zlib.deflateRawSync', prepare: raw },
  { api: 'zlib.deflateSync', prepare: raw },
  { api: 'zlib.gunzipSync', prepare: zipped(zlib.gzipSync) },
  { api: 'zlib.gzipSync', prepare: raw },
  { api: 'zlib.inflateRawSync', prepare: zipped(zlib.deflateRawSync) },
  { api: 'zlib.inflateSync', prepare: zipped(zlib.deflateSync) },
  { api: 'zlib.unzipSync', prepare: zipped(zlib.gzipSync) },
  { api: 'zlib.zstdCompressSync', prepare: raw },
  { api: 'zlib.zstdDecompressSync', prepare: () => zipped(zlibFn('zstdCompressSync'))() },
  { api: 'zlib.createZipArchiveSync', prepare: () => ({ args: [[{ name: 'a.txt', data: Buffer.from('hi') }]] }) },

  {
    api: 'crypto.argon2Sync',
    prepare: plain(() => ['argon2id', { message: 'pw', nonce: Buffer.alloc(16), parallelism: 1, tagLength: 32, memory: 8, passes: 1 }]),
  },
  { api: 'crypto.checkPrimeSync', prepare: plain(() => [7n]) },
  { api: 'crypto.generateKeyPairSync', prepare: plain(() => ['ed25519']) },
  { api: 'crypto.generateKeySync', prepare: plain(() => ['hmac', { length: 64 }]) },
  { api: 'crypto.generatePrimeSync', prepare: plain(() => [16]) },
  { api: 'crypto.hkdfSync', prepare: plain(() => ['sha256', 'key', 'salt', 'info', 16]) },
  { api: 'crypto.pbkdf2Sync', prepare: plain(() => ['pw', 'salt', 1, 16, 'sha256']) },
  {
    api: 'crypto.randomFillSync',
    prepare: () => {
      const buffer = Buffer.alloc(16);
      return { args: [buffer], changed: () => !buffer.equals(Buffer.alloc(16)) };
    },
  },
  { api: 'crypto.scryptSync', prepare: plain(() => ['pw', 'salt', 16]) },

  { api: 'Atomics.wait', prepare: plain(() => [new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1]) },

  { api: 'sqlite.DatabaseSync#open', prepare: database(false) },
  { api: 'sqlite.DatabaseSync#exec', prepare: database() },
  { api: 'sqlite.DatabaseSync#prepare', prepare: (s) => ({ ...database()(s), args: ['SELECT 1'] }) },
  { api: 'sqlite.StatementSync#run', prepare: statement },
  { api: 'sqlite.StatementSync#get', prepare: statement },
  { api: 'sqlite.StatementSync#all', prepare: statement },
  { api: 'sqlite.StatementSync#iterate', prepare: statement },

  { api: 'dgram.Socket#bindSync', prepare: udpSocket([{ port: 0, address: '127.0.0.1' }]) },
  { api: 'dgram.Socket#connectSync', prepare: udpSocket([9, '127.0.0.1']) },
];

/*
 * npm packages (src/apis/packages.ts): the real packages, installed as devDependencies. Wrappers
 * over other packages (quick.db, enmap) and packages reported through Node's APIs have their own
 * tests (test/guard/package-apis.test.ts, test/e2e/libraries.test.ts).
 */
const requireHere = createRequire(__filename);
type Sqlite3Statement = { run(...a: unknown[]): unknown; iterate(): Iterator<unknown> & { return?(): unknown } };
type Sqlite3 = new (file: string) => { exec(sql: string): unknown; prepare(sql: string): Sqlite3Statement; close(): void };
const sqlite3 = (s: Scratch) => {
  const db = new (requireHere('better-sqlite3') as Sqlite3)(s.path('better.sqlite'));
  db.exec('CREATE TABLE t(x)');
  return db;
};
const onDatabase = (args: unknown[]) => (s: Scratch): Prepared => {
  const db = sqlite3(s);
  return { self: db, args, cleanup: () => db.close() };
};
const onStatement = (sql: string) => (s: Scratch): Prepared => {
  const db = sqlite3(s);
  // An iterator left open keeps the connection busy: close it first.
  const closeRows = (result: unknown) => (result as { return?: () => unknown } | undefined)?.return?.();
  return { self: db.prepare(sql), args: [], cleanup: (result) => { closeRows(result); db.close(); } };
};
type Bcrypt = { hashSync(pw: string, rounds: number): string };
const hashed = (pkg: string) => (): Prepared => ({ args: ['hunter2', (requireHere(pkg) as Bcrypt).hashSync('hunter2', 4)] });
type Canvas = { createCanvas(w: number, h: number): object };
const onCanvas = (args: unknown[]) => (): Prepared => ({ self: (requireHere('@napi-rs/canvas') as Canvas).createCanvas(32, 32), args });

export const packageDefinitions: Definition[] = [
  { api: 'better-sqlite3.Database#exec', prepare: onDatabase(['CREATE TABLE u(y)']) },
  { api: 'better-sqlite3.Database#prepare', prepare: onDatabase(['SELECT x FROM t']) },
  { api: 'better-sqlite3.Database#pragma', prepare: onDatabase(['user_version = 7']) },
  { api: 'better-sqlite3.Database#serialize', prepare: onDatabase([]) },
  { api: 'better-sqlite3.Statement#run', prepare: onStatement('INSERT INTO t VALUES (1)') },
  { api: 'better-sqlite3.Statement#get', prepare: onStatement('SELECT 1 AS one') },
  { api: 'better-sqlite3.Statement#all', prepare: onStatement('SELECT 1 AS one') },
  { api: 'better-sqlite3.Statement#iterate', prepare: onStatement('SELECT 1 AS one') },
  {
    api: 'better-sqlite3.StatementIterator#next',
    prepare: (s) => {
      const db = sqlite3(s);
      const rows = db.prepare('SELECT 1 AS one').iterate();
      return { self: rows, args: [], cleanup: () => { rows.return?.(); db.close(); } };
    },
  },
  { api: 'bcrypt.hashSync', prepare: plain(() => ['hunter2', 4]) },
  { api: 'bcrypt.compareSync', prepare: hashed('bcrypt') },
  { api: 'bcrypt.genSaltSync', prepare: plain(() => [4]) },
  { api: 'bcryptjs.hashSync', prepare: plain(() => ['hunter2', 4]) },
  { api: 'bcryptjs.compareSync', prepare: hashed('bcryptjs') },
  { api: 'bcryptjs.genSaltSync', prepare: plain(() => [4]) },
  { api: '@napi-rs/canvas.Canvas#encodeSync', prepare: onCanvas(['png']) },
  { api: '@napi-rs/canvas.Canvas#toBuffer', prepare: onCanvas(['image/png']) },
  { api: '@napi-rs/canvas.Canvas#toDataURL', prepare: onCanvas([]) },
];
