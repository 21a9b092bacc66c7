import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowBlocking, BlockingCallError, configure, install, onReport, runInHandler, uninstall, type Report } from '../../src/index';
import { Scratch } from '../support/scratch';

/*
 * npm packages beyond single functions (test/apis/table.test.ts has those): wrappers over other
 * packages (quick.db: one report per call, whatever runs below it) and packages that block
 * through Node's own APIs (sync-fetch, lowdb, prompt-sync, readline-sync: reported under their
 * name). The real packages, installed as devDependencies.
 */

const require = createRequire(__filename);
type Db = { init(): Promise<void>; get(k: string): Promise<unknown>; set(k: string, v: unknown): Promise<unknown>; add(k: string, n: number): Promise<number> };
const { QuickDB, MemoryDriver } = require('quick.db') as { QuickDB: new (options: object) => Db; MemoryDriver: new () => object };
type SyncFetch = (url: string) => { text(): string };
// Loaded after install(): it keeps its own reference to execFileSync.
let syncFetch: SyncFetch;
const prompt = (require('prompt-sync') as () => (ask: string) => string)();
const readlineSync = require('readline-sync') as { question(ask: string): string };

const reports: Report[] = [];
const scratch = new Scratch();
let n = 0;
const handler = <R>(fn: () => R): R => runInHandler({ source: 'test', event: `e${++n}` }, fn);
const here = (r: Report) => r.site?.file === __filename;

let sqlite: Db;
beforeAll(async () => {
  install({ env: false, console: false });
  onReport((r) => reports.push(r));
  syncFetch = require('sync-fetch') as SyncFetch;
  sqlite = new QuickDB({ filePath: scratch.path('quick.sqlite') });
  await sqlite.init();
});
afterEach(() => {
  reports.length = 0;
  configure({ mode: 'report', allowApis: [], allowSites: [], thresholdMs: 0 });
});
afterAll(() => {
  uninstall();
  scratch.remove();
});

/** A quick.db driver of the application's own, on one JSON file, read and written synchronously. */
class FileDriver {
  constructor(private readonly file: string) {}
  private load(): Record<string, Record<string, unknown>> {
    return fs.existsSync(this.file) ? JSON.parse(fs.readFileSync(this.file, 'utf8')) : {};
  }
  private save(data: Record<string, Record<string, unknown>>): void {
    fs.writeFileSync(this.file, JSON.stringify(data));
  }
  async prepare(table: string): Promise<void> {
    const data = this.load();
    data[table] ??= {};
    this.save(data);
  }
  async getAllRows(table: string): Promise<{ id: string; value: unknown }[]> {
    return Object.entries(this.load()[table] ?? {}).map(([id, value]) => ({ id, value }));
  }
  async getRowByKey(table: string, key: string): Promise<[unknown, boolean]> {
    const row = this.load()[table]?.[key];
    return row === undefined ? [null, false] : [row, true];
  }
  async setRowByKey(table: string, key: string, value: unknown): Promise<unknown> {
    const data = this.load();
    (data[table] ??= {})[key] = value;
    this.save(data);
    return value;
  }
  async deleteAllRows(table: string): Promise<number> {
    const data = this.load();
    const count = Object.keys(data[table] ?? {}).length;
    data[table] = {};
    this.save(data);
    return count;
  }
  async deleteRowByKey(table: string, key: string): Promise<number> {
    const data = this.load();
    const had = data[table]?.[key] !== undefined;
    delete data[table]?.[key];
    this.save(data);
    return had ? 1 : 0;
  }
}

describe('quick.db over better-sqlite3', () => {
  it('one call is one report at the caller\'s line, however many statements run below it and after its awaits', async () => {
    await handler(async () => {
      await sqlite.set('xp', 1);
      expect(await sqlite.add('xp', 2)).toBe(3); // get, then set: two statements each, an await between
    });
    expect(reports.map((r) => [r.api, r.via, here(r), r.count])).toEqual([
      ['quick.db.QuickDB#set', 'quick.db → better-sqlite3', true, 1],
      ['quick.db.QuickDB#add', 'quick.db → better-sqlite3', true, 1],
    ]);
    expect(reports[0]!.site!.line).toBeLessThan(reports[1]!.site!.line);
    expect(reports[1]).toMatchObject({ kind: 'database', hint: expect.stringMatching(/worker thread/) });
  });

  it('names what really blocked: fs for a driver on files; nothing for its in-memory driver', async () => {
    const json = new QuickDB({ driver: new FileDriver(scratch.path('quick.json')) });
    const memory = new QuickDB({ driver: new MemoryDriver() });
    await json.init();
    await memory.init();
    await handler(async () => {
      await json.set('a', 1);
      await memory.set('a', 1);
    });
    expect(reports.map((r) => [r.api, r.via])).toEqual([['quick.db.QuickDB#set', 'quick.db → fs']]);
  });

  it('is not reported outside handlers, nor when allowed (allowApis, allowBlocking): nor is anything below it', async () => {
    await sqlite.set('k', 1);
    configure({ allowApis: ['quick.db.*'] });
    await handler(() => sqlite.set('k', 2));
    configure({ allowApis: [] });
    await handler(() => allowBlocking(() => sqlite.set('k', 3)));
    expect(reports).toEqual([]);
  });

  it('strict mode rejects the call\'s promise before its first statement runs', async () => {
    const before = scratch.snapshot();
    configure({ mode: 'strict' });
    let error: unknown;
    await handler(async () => {
      try {
        await sqlite.set('strict', 1);
      } catch (e) {
        error = e;
      }
    });
    configure({ mode: 'report' });
    expect(error).toBeInstanceOf(BlockingCallError);
    expect(error).toMatchObject({ api: 'quick.db.QuickDB#set' });
    expect(scratch.snapshot()).toBe(before);
    expect(await sqlite.get('strict')).toBeNull();
    expect(reports).toMatchObject([{ api: 'quick.db.QuickDB#set', outcome: 'thrown', via: 'quick.db → better-sqlite3' }]);
  });

  it('a call that does not return a promise (the wrapper threw at once) still ends its unit', async () => {
    await handler(async () => {
      await expect(sqlite.set(undefined as unknown as string, 1)).rejects.toThrow();
      await sqlite.set('after', 1);
    });
    expect(reports.map((r) => r.api)).toEqual(['quick.db.QuickDB#set']);
  });
});

describe('packages that block through Node\'s APIs', () => {
  it('sync-fetch is reported as itself, with its alternative, via the Node API it used', () => {
    expect(handler(() => syncFetch('data:text/plain,hello').text())).toBe('hello');
    expect(reports).toMatchObject([{ api: 'sync-fetch', kind: 'http', via: 'sync-fetch → child_process.execFileSync', hint: 'the global fetch() (await it)' }]);
    expect(here(reports[0]!)).toBe(true);
  });

  it('allowApis names the package', () => {
    configure({ allowApis: ['sync-fetch'] });
    handler(() => syncFetch('data:text/plain,hello'));
    expect(reports).toEqual([]);
  });

  it('lowdb\'s sync adapter (ESM only) is reported as lowdb', async () => {
    const { LowSync } = await import('lowdb');
    const { JSONFileSync } = await import('lowdb/node');
    const db = new LowSync(new JSONFileSync<{ n: number }>(scratch.path('low.json')), { n: 0 });
    handler(() => db.write());
    expect(reports.map((r) => [r.api, r.kind, here(r)])).toEqual([['lowdb', 'database', true]]);
    expect(reports[0]!.via).toMatch(/^lowdb → fs\.\w+Sync$/);
  });

  it.each([
    ['prompt-sync', () => prompt('name? ')],
    ['readline-sync', () => readlineSync.question('name? ')],
  ])('strict mode stops %s before it waits for a terminal (readline-sync turns the error into its own)', (api, ask) => {
    configure({ mode: 'strict' });
    let error: unknown;
    handler(() => {
      try {
        ask();
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(api === 'prompt-sync' ? BlockingCallError : Error);
    expect(reports[0]).toMatchObject({ api, kind: 'prompt', outcome: 'thrown', via: expect.stringMatching(new RegExp(`^${api} → `)) });
  });
});

it('sync-fetch loaded before loopguard keeps the unguarded execFileSync: said once, plainly', async () => {
  uninstall();
  const warnings: string[] = [];
  const listen = (text: unknown) => warnings.push(String(text));
  subscribe('loopguard:warning', listen);
  try {
    install({ env: false, console: false }); // sync-fetch is in require.cache already
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    unsubscribe('loopguard:warning', listen);
  }
  expect(warnings.filter((w) => w.includes('sync-fetch'))).toEqual([
    'sync-fetch was loaded before loopguard and keeps its own copy of child_process.execFileSync, which is not guarded; load loopguard first (node -r loopguard/register)',
  ]);
});
