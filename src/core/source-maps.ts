import { findSourceMap, SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allowBlocking } from './context';
import { raw } from './raw';

/*
 * Where a line of generated JavaScript came from: the TypeScript line a report names. Asked only
 * for a call site being reported (never on the wrapped call's fast path), and cached per position.
 * In order:
 *  1. the source map Node keeps (--enable-source-maps, tsx, Node's own TypeScript transform, any
 *     tool that turns source maps on): module.findSourceMap;
 *  2. a map the generated file names on disk (`//# sourceMappingURL=`, a .map file or a data URL:
 *     tsc's output run without --enable-source-maps), read once per file with loopguard's own fs;
 *  3. code compiled in memory with no map Node knows of (ts-node, @swc-node/register): the
 *     Error.prepareStackTrace the app installed (source-map-support) is asked where the frame is,
 *     which is also what the app's own stacks show.
 * Node's type stripping keeps every position as it is: nothing to map there.
 */

/** A position in the original source: a path (or the map's URL when it is not a file), 1-based. */
export interface Origin {
  file: string;
  line: number;
  column: number;
}

/** Positions already looked up (null: the generated position is the one to show). */
const positions = new Map<string, Origin | null>();
/** Source maps by generated file (null: none). */
const maps = new Map<string, SourceMap | null>();
export const positionCap = 10_000;
export const mapCap = 500;
/** A generated file read from disk for its map comment is at most this large. */
const fileCap = 64 * 1024 * 1024;

/** Keeps a cache within its cap: the oldest entry goes first (a Map iterates in insertion order). */
function remember<K, V>(cache: Map<K, V>, cap: number, key: K, value: V): V {
  if (cache.size >= cap) cache.delete(cache.keys().next().value as K);
  cache.set(key, value);
  return value;
}

/**
 * The original position of `frame` (at `file`, a path, line and column as V8 gave them), or
 * undefined when no source map moves it. `disk`: a map may be read from disk for this file.
 */
export function originOf(frame: NodeJS.CallSite, file: string, line: number, column: number, disk: boolean): Origin | undefined {
  const key = `${file}:${line}:${column}`;
  const known = positions.get(key);
  if (known !== undefined) return known ?? undefined;
  let origin: Origin | undefined;
  try {
    const map = mapOf(frame.getFileName() ?? file, file, disk);
    origin = map === undefined ? (disk ? askInstalled(frame, file, line, column) : undefined) : fromMap(map, line, column);
  } catch {
    origin = undefined; // a damaged map: the generated position is still true
  }
  if (origin !== undefined && origin.file === file && origin.line === line && origin.column === column) origin = undefined;
  return remember(positions, positionCap, key, origin ?? null) ?? undefined;
}

function fromMap(map: SourceMap, line: number, column: number): Origin | undefined {
  // As Node's own stack traces read it (zero-based offsets), so that both agree.
  const entry = map.findEntry(line - 1, column - 1) as Partial<import('node:module').SourceMapping>;
  if (typeof entry.originalSource !== 'string' || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
  return { file: pathOf(entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

function pathOf(source: string): string {
  if (!source.startsWith('file://')) return source;
  try {
    return fileURLToPath(source);
  } catch {
    return source;
  }
}

function mapOf(name: string, file: string, disk: boolean): SourceMap | undefined {
  const known = maps.get(file);
  if (known !== undefined) return known ?? undefined;
  let map = nodeMap(name, file);
  // Not cached as missing when disk was not to be read: another frame of the file may read it.
  if (map === undefined && !disk) return undefined;
  if (map === undefined) map = diskMap(file);
  return remember(maps, mapCap, file, map ?? null) ?? undefined;
}

/**
 * Whether Node keeps source maps now: it caches a module's map only while they are on
 * (--enable-source-maps, process.setSourceMapsEnabled, module.setSourceMapsSupport: tsx) or while
 * it collects coverage. Otherwise findSourceMap has nothing to find, and its first call loads
 * Node's source map modules: some 0.4 ms of a site's first report.
 */
const nodeKeepsMaps = (): boolean => process.sourceMapsEnabled === true || process.env['NODE_V8_COVERAGE'] !== undefined;

/** The map Node keeps for a module (by path for CommonJS, by URL for ESM). */
function nodeMap(name: string, file: string): SourceMap | undefined {
  if (typeof findSourceMap !== 'function' || !nodeKeepsMaps()) return undefined; // Bun, Deno: no findSourceMap
  try {
    return findSourceMap(name) ?? (name === file && isAbsolute(file) ? findSourceMap(pathToFileURL(file).href) : findSourceMap(file));
  } catch {
    return undefined;
  }
}

/* The last source map comment of a generated file: `//# sourceMappingURL=...` (or the old `//@`). */
const mapComment = /\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/;

function diskMap(file: string): SourceMap | undefined {
  if (!isAbsolute(file)) return undefined;
  const code = readText(file);
  if (code === undefined) return undefined;
  const at = Math.max(code.lastIndexOf('//# sourceMappingURL='), code.lastIndexOf('//@ sourceMappingURL='));
  if (at < 0) return undefined;
  const m = mapComment.exec(code.slice(at));
  if (m === null) return undefined;
  const url = m[1] as string;
  let text: string | undefined;
  let base: string;
  if (url.startsWith('data:')) {
    text = dataText(url);
    base = pathToFileURL(file).href;
  } else {
    let mapFile: string;
    try {
      mapFile = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
    } catch {
      return undefined;
    }
    text = readText(mapFile);
    base = pathToFileURL(mapFile).href;
  }
  if (text === undefined) return undefined;
  const payload = JSON.parse(text) as SourceMapPayload;
  if (!Array.isArray(payload.sources) || typeof payload.mappings !== 'string') return undefined;
  return new SourceMap({ ...payload, sources: absoluteSources(payload, base) });
}

/** A map's sources as absolute URLs (against its sourceRoot and its own location), as Node keeps them. */
function absoluteSources(payload: SourceMapPayload, base: string): string[] {
  const root = typeof payload.sourceRoot === 'string' && payload.sourceRoot !== '' ? payload.sourceRoot.replace(/\/?$/, '/') : '';
  return payload.sources.map((source) => {
    try {
      return new URL(root + source, base).href;
    } catch {
      return source;
    }
  });
}

function dataText(url: string): string | undefined {
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const data = url.slice(comma + 1);
  return url.slice(0, comma).endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
}

/** A whole file, read with the functions loopguard's wrappers never judge. */
function readText(path: string): string | undefined {
  let fd: number;
  try {
    fd = raw.openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = raw.fstatSync(fd).size;
    if (size > fileCap) return undefined;
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = raw.readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString('utf8', 0, read);
  } catch {
    return undefined;
  } finally {
    raw.closeSync(fd);
  }
}

/**
 * Node 20 and newer install a formatter of their own (lib/internal/errors.js), which maps only
 * what module.findSourceMap knows, asked above: asking it too cost each new site's first report
 * about 0.3 ms (a frame formatted in a context of its own, as blocking allowed) for nothing.
 */
const isNodesOwn = (prepare: Function): boolean => prepare.name === 'ErrorPrepareStackTrace';

/** A formatted frame's position: `at fn (file:line:col)` or `at file:line:col`. */
const framePosition = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?\s*$/;

/*
 * ts-node and @swc-node/register compile in memory and keep their maps to themselves; they install
 * source-map-support, whose Error.prepareStackTrace knows them. It is asked for this one frame.
 * It may read files (a map it has not seen): those reads are its own, never a handler's, so they
 * run as allowed blocking.
 */
function askInstalled(frame: NodeJS.CallSite, file: string, line: number, column: number): Origin | undefined {
  const prepare: unknown = Error.prepareStackTrace;
  if (typeof prepare !== 'function' || isNodesOwn(prepare)) return undefined;
  const text: unknown = allowBlocking(() => (prepare as (e: Error, f: NodeJS.CallSite[]) => unknown)(
    Object.assign(Object.create(Error.prototype) as Error, { name: 'Error', message: '' }), [frame]));
  if (typeof text !== 'string') return undefined;
  const last = text.slice(text.lastIndexOf('\n') + 1);
  const m = framePosition.exec(last);
  if (m === null) return undefined;
  const origin = { file: pathOf(m[1] as string), line: Number(m[2]), column: Number(m[3]) };
  return origin.file === file && origin.line === line && origin.column === column ? undefined : origin;
}

/** Forgets every map and position (tests). */
export function clearSourceMaps(): void {
  positions.clear();
  maps.clear();
}
