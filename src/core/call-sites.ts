import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onBun } from './bun';
import { ownFolders } from './own-files';
import { inNodeModules, packageOf } from './packages';
import { originOf } from './source-maps';

/*
 * Who called a blocking API, read from V8's call sites: the line to fix (the first frame outside
 * loopguard, Node's internals and node_modules), the dependency the blocking happened in, and
 * whether Node's module loader stands between (a lazy require). Raw frames are captured cheaply;
 * formatting waits until a report is new. Positions are the original source's where a source map
 * says (core/source-maps.ts): a TypeScript app's reports name its .ts lines.
 */

/** A line of code: 1-based line and column, as in stack traces. */
export interface Site {
  file: string;
  line: number;
  column: number;
  function?: string;
}

/** Who called a blocking API, read from the stack once per in-handler call. */
export interface Callers {
  /** The first frame outside loopguard, Node's internals and node_modules: the line to fix. */
  site: Site | undefined;
  /** The innermost frame outside loopguard and Node's internals (may be inside a dependency). */
  origin: Site | undefined;
  /** The package `origin` lives in, when the blocking happened inside a dependency. */
  via: string | undefined;
  /** Node's module loader stands between the call and `site`: a lazy `require` or `import`. */
  moduleLoad: 'require' | 'import' | undefined;
  /** With `moduleLoad`: the frame that asked for the outermost load (may be inside a dependency). */
  requirer: Site | undefined;
  frames: readonly NodeJS.CallSite[];
  /** The function the stack was read above (to read it again, deeper, for a new report). */
  above: Function | undefined;
}

const captureRaw = (_error: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames;

/** Raw V8 call sites above `above` (exclusive). Formatting is left for when a report is new. */
export function captureFrames(above: Function, limit = 12): NodeJS.CallSite[] {
  if (frozenError) return parsedFrames(above);
  const prepare = Error.prepareStackTrace;
  const stackLimit = Error.stackTraceLimit;
  try {
    try {
      Error.prepareStackTrace = captureRaw;
      Error.stackTraceLimit = limit;
    } catch {
      // Frozen after loopguard loaded (--frozen-intrinsics freezes after -r preloads run).
      frozenError = true;
      return parsedFrames(above);
    }
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, above);
    if (Array.isArray(holder.stack)) return holder.stack as NodeJS.CallSite[];
    // The stack came formatted: read while a stack was being formatted (V8 does not call
    // prepareStackTrace again from inside it), or a runtime that ignored it.
    return typeof holder.stack === 'string' ? framesOf(holder.stack) : [];
  } finally {
    if (!frozenError) {
      Error.prepareStackTrace = prepare;
      Error.stackTraceLimit = stackLimit;
    }
  }
}

/*
 * With --frozen-intrinsics, Error.prepareStackTrace and stackTraceLimit cannot be set: the
 * formatted stack (10 frames) is parsed instead, into objects with the CallSite methods used here.
 */
let frozenError = Object.isFrozen(Error);
/** Marks frames parsed from a formatted stack: Node mapped their positions already when source maps are on. */
const kFormatted = Symbol('formatted');
const frameLine = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

function parsedFrames(above: Function): NodeJS.CallSite[] {
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, above);
  return framesOf(String(holder.stack));
}

function framesOf(stack: string): NodeJS.CallSite[] {
  const frames: NodeJS.CallSite[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = frameLine.exec(line);
    if (m === null) continue;
    const [, fn, file, row, col] = m;
    frames.push({
      [kFormatted]: true,
      getFileName: () => file,
      getLineNumber: () => Number(row),
      getColumnNumber: () => Number(col),
      getFunctionName: () => fn ?? null,
      toString: () => line.trim().slice(3),
    } as unknown as NodeJS.CallSite);
  }
  return frames;
}

/** A frame's file as a path (ES modules' frames name file URLs). */
export function fileOf(frame: NodeJS.CallSite): string | undefined {
  const name = frame.getFileName() ?? undefined;
  if (name === undefined || !name.startsWith('file://')) return name;
  try {
    return fileURLToPath(name);
  } catch {
    return name;
  }
}

/*
 * loopguard's own files (core/own-files.ts), and on Bun require-in-the-middle's, whose require
 * hook is loopguard's machinery there, not the user's code (hooks/package-files.ts).
 */
const ownRoots = ((): string[] => {
  const roots = [...ownFolders];
  if (!onBun) return roots;
  try {
    roots.push(dirname(require.resolve('require-in-the-middle')) + sep);
  } catch {
    // not installed next to us: nothing of it can be on the stack
  }
  return roots;
})();

const isInternal = (file: string | undefined): boolean =>
  file === undefined || file.startsWith('node:') || file.startsWith('internal/');
const isLoader = (file: string | undefined): boolean =>
  file !== undefined && (file.startsWith('node:internal/modules/') || file.startsWith('internal/modules/'));

export function isOwnFile(file: string): boolean {
  for (const root of ownRoots) if (file.startsWith(root)) return true;
  return false;
}

/** Whether `frame`'s position may still be mapped (a parsed frame's was, when Node maps stacks). */
const mappable = (frame: NodeJS.CallSite): boolean =>
  !(frame as { [kFormatted]?: boolean })[kFormatted] || process.sourceMapsEnabled !== true;

/**
 * A frame as a Site. The app's own frames get their original positions; a dependency's keep the
 * generated ones (its package is what a report names, and its maps may name no file on disk).
 */
function toSite(frame: NodeJS.CallSite, file: string): Site {
  const fn = frame.getFunctionName() ?? undefined; // not getMethodName(): it searches the receiver
  const line = frame.getLineNumber() ?? 0;
  const column = frame.getColumnNumber() ?? 0;
  const origin = inNodeModules(file) || !mappable(frame) ? undefined : originOf(frame, file, line, column, true);
  const site: Site = origin === undefined ? { file, line, column } : { file: origin.file, line: origin.line, column: origin.column };
  if (fn) site.function = fn;
  return site;
}

const depths = [1, 4, 16, 64];

/**
 * Who called `above`. Capturing costs grow with depth, and the user's line is nearly always the
 * caller itself: read 1 frame, and deeper only when it was a library's or Node's. In a real
 * discord.js bot the frames below a handler are inlined, optimized code that V8 must unpick: 4
 * frames cost about 30 µs there, 1 frame about 11 µs (Node 24, the flood benchmark's bot).
 */
export function callersOf(above: Function): Callers {
  let callers: Callers | undefined;
  for (const depth of depths) {
    callers = readCallers(captureFrames(above, depth), above);
    const userLine = callers.site !== undefined && !(callers.site === callers.origin && callers.via !== undefined);
    if (userLine || callers.frames.length < depth) break;
  }
  return callers as Callers;
}

/** The stack for a new report: read again 16 frames deep while the call is still on the stack. */
export function stackOf(callers: Callers): string {
  const frames = callers.above !== undefined && callers.frames.length < 16 ? captureFrames(callers.above, 16) : callers.frames;
  return formatStack(frames);
}

export function readCallers(frames: readonly NodeJS.CallSite[], above?: Function): Callers {
  let origin: Site | undefined;
  let requirer: Site | undefined;
  let moduleLoad: Callers['moduleLoad'];
  let afterLoader = false;
  for (const frame of frames) {
    const file = fileOf(frame);
    if (isInternal(file)) {
      if (isLoader(file)) {
        moduleLoad = (file as string).includes('/esm/') ? 'import' : 'require';
        afterLoader = true;
      }
      continue;
    }
    if (isOwnFile(file as string)) continue;
    const here = toSite(frame, file as string);
    origin ??= here;
    if (afterLoader) {
      requirer = here;
      afterLoader = false;
    }
    if (inNodeModules(file as string)) continue;
    return { site: here, origin, via: origin === here ? undefined : packageOf(origin.file), moduleLoad, requirer, frames, above };
  }
  const via = origin === undefined ? undefined : packageOf(origin.file);
  return { site: origin, origin, via, moduleLoad, requirer, frames, above };
}

/**
 * The stack as people read it, without loopguard's frames; ESM URLs become paths, and positions
 * the original source's where a source map says (a dependency's only where Node keeps its map,
 * as Node's own stacks show it with --enable-source-maps).
 */
export function formatStack(frames: readonly NodeJS.CallSite[], max = 12): string {
  const lines: string[] = [];
  for (const frame of frames) {
    const file = fileOf(frame);
    if (file !== undefined && isOwnFile(file)) continue;
    const line = frame.getLineNumber() ?? 0;
    const column = frame.getColumnNumber() ?? 0;
    let text: string;
    try {
      text = String(frame);
    } catch {
      text = `${file ?? '<anonymous>'}:${line}:${column}`;
    }
    const name = frame.getFileName();
    if (name && file !== undefined) {
      const at = text.lastIndexOf(`${name}:${line}:${column}`);
      const origin = mappable(frame) ? originOf(frame, file, line, column, !inNodeModules(file)) : undefined;
      const shown = origin === undefined ? `${file}:${line}:${column}` : `${origin.file}:${origin.line}:${origin.column}`;
      if (at >= 0) text = text.slice(0, at) + shown + text.slice(at + `${name}:${line}:${column}`.length);
    }
    lines.push(`    at ${text}`);
    if (lines.length >= max) break;
  }
  return lines.join('\n');
}

/**
 * The stack of an error loopguard throws for a call `above` made (strict mode's BlockingCallError):
 * the frames its report shows, so that the error's message and stack name the same line, as
 * many as Error.stackTraceLimit asks for.
 */
export function errorStack(above: Function): string {
  const limit = Error.stackTraceLimit;
  const max = typeof limit === 'number' && Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 10;
  // Deeper than the limit: loopguard's own frames (a handler's wrappers) are dropped from it.
  return max === 0 ? '' : formatStack(captureFrames(above, max + 16), max);
}
