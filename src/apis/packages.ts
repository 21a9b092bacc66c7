import type { ApiEntry, ApiKind } from './types';

/*
 * Blocking APIs of npm packages that bots use. They are the application's packages, never
 * loopguard's: each is patched when the application loads it (src/guard/package-apis.ts), and a
 * package that is not installed costs nothing. Three shapes:
 * - a function of the package (`bcrypt.hashSync`), found from `file`'s exports by `path`;
 * - a wrapper over another package (`quick.db` over `better-sqlite3`, with `over`): one call of it
 *   is one report, whatever it runs below;
 * - a package that blocks only through Node's own APIs (`path: []`): those calls, made inside it,
 *   are reported under its name with its alternative.
 */

const method = (module: string, cls: string, owner: readonly string[], name: string, kind: ApiKind, alternative: string, extra: Partial<ApiEntry> = {}): ApiEntry => ({
  api: `${module}.${cls}#${name}`,
  module,
  path: [...owner, 'prototype', name],
  kind,
  alternative,
  ...extra,
});

const sqliteAlternative = 'run the queries in a worker thread (worker_threads, piscina), or use an async driver (e.g. sqlite3, or a database server)';
const sqliteFile = 'better-sqlite3/lib/database.js';
// Statement and its iterator are native classes: their prototypes are reached from the addon's exports.
const addonFile = 'better-sqlite3/build/Release/better_sqlite3.node';
const betterSqlite3: ApiEntry[] = [
  ...['exec', 'prepare', 'pragma', 'serialize'].map((name) =>
    method('better-sqlite3', 'Database', [], name, 'database', sqliteAlternative, { file: sqliteFile })),
  ...['run', 'get', 'all', 'iterate'].map((name) =>
    method('better-sqlite3', 'Statement', ['Statement'], name, 'database', sqliteAlternative, { file: addonFile })),
  method('better-sqlite3', 'StatementIterator', ['StatementIterator'], 'next', 'database', sqliteAlternative, { file: addonFile }),
];

const wrapperAlternative = (name: string): string =>
  `${name} runs SQLite queries on the main thread behind its API: keep the data in memory and write in the background, move the database work to a worker thread, or use an async database driver`;

// quick.db's methods return promises, but their queries run synchronously (better-sqlite3).
const quickDb: ApiEntry[] = ['init', 'get', 'set', 'has', 'delete', 'deleteAll', 'all', 'add', 'sub', 'push', 'unshift', 'pop', 'shift', 'pull', 'startsWith']
  .map((name) => method('quick.db', 'QuickDB', ['QuickDB'], name, 'database', wrapperAlternative('quick.db'), { file: 'quick.db/out/index.js', wraps: 'better-sqlite3', async: true }));

// enmap 6 is ESM only; its class is the default export.
const enmap: ApiEntry[] = ['set', 'get', 'has', 'delete', 'clear', 'keys', 'values', 'entries', 'update', 'push', 'math', 'inc', 'dec', 'ensure', 'includes', 'remove', 'export', 'import', 'random', 'randomKey', 'every', 'some', 'map', 'find', 'findIndex', 'reduce', 'filter', 'sweep', 'partition']
  .map((name) => method('enmap', 'Enmap', ['default'], name, 'database', wrapperAlternative('enmap'), { file: 'enmap/dist/index.js', wraps: 'better-sqlite3', esm: true }));

const hashing = (module: string, name: string, alternative: string, extra: Partial<ApiEntry>): ApiEntry => ({
  api: `${module}.${name}`,
  module,
  path: [name],
  kind: 'crypto',
  alternative,
  ...extra,
});
// bcrypt's async functions run in libuv's thread pool; bcryptjs's run in JavaScript on the main
// thread too, in slices of up to 100 ms: they let other events in, they do not stop the blocking.
const bcryptjsAsync = (name: string): string =>
  `bcrypt's ${name} (native, runs in libuv's thread pool); bcryptjs's own async ${name} still computes on the main thread, in slices of up to 100 ms`;
const bcrypt: ApiEntry[] = [
  hashing('bcrypt', 'hashSync', 'bcrypt.hash (runs in libuv\'s thread pool)', { file: 'bcrypt/bcrypt.js' }),
  hashing('bcrypt', 'compareSync', 'bcrypt.compare (runs in libuv\'s thread pool)', { file: 'bcrypt/bcrypt.js' }),
  hashing('bcrypt', 'genSaltSync', 'bcrypt.genSalt', { file: 'bcrypt/bcrypt.js' }),
  hashing('bcryptjs', 'hashSync', bcryptjsAsync('hash'), { file: 'bcryptjs/umd/index.js', esm: true }),
  hashing('bcryptjs', 'compareSync', bcryptjsAsync('compare'), { file: 'bcryptjs/umd/index.js', esm: true }),
  hashing('bcryptjs', 'genSaltSync', 'bcryptjs.genSalt', { file: 'bcryptjs/umd/index.js', esm: true }),
];

const canvasAlternative = (sync: string): string => `await canvas.encode(format) (encodes in libuv's thread pool) instead of ${sync}`;
const canvas: ApiEntry[] = [
  method('@napi-rs/canvas', 'Canvas', ['CanvasElement'], 'encodeSync', 'image', canvasAlternative('encodeSync'), { file: '@napi-rs/canvas/index.js' }),
  method('@napi-rs/canvas', 'Canvas', ['CanvasElement'], 'toBuffer', 'image', canvasAlternative('toBuffer'), { file: '@napi-rs/canvas/index.js' }),
  method('@napi-rs/canvas', 'Canvas', ['CanvasElement'], 'toDataURL', 'image', 'await canvas.toDataURLAsync()', { file: '@napi-rs/canvas/index.js' }),
];

const whole = (module: string, kind: ApiKind, alternative: string): ApiEntry => ({ api: module, module, path: [], kind, alternative });
const throughNode: ApiEntry[] = [
  whole('sync-fetch', 'http', 'the global fetch() (await it)'),
  whole('lowdb', 'database', 'Low with an async adapter (JSONFile, not JSONFileSync/LowSync)'),
  whole('readline-sync', 'prompt', 'a bot has no terminal to ask: take input from commands, or use readline/promises'),
  whole('prompt-sync', 'prompt', 'a bot has no terminal to ask: take input from commands, or use readline/promises'),
];

export const packageApis: readonly ApiEntry[] = [...betterSqlite3, ...quickDb, ...enmap, ...bcrypt, ...canvas, ...throughNode];

/** The packages reported under their own name when they call Node's blocking APIs (`path: []`). */
export const blockingPackages: ReadonlyMap<string, ApiEntry> = new Map(packageApis.filter((e) => e.path.length === 0).map((e) => [e.module, e]));
