import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNodeModules, packageOf } from './packages';

/*
 * Who called a blocking API, read from V8's call sites: the line to fix (the first frame outside
 * loopguard, Node's internals and node_modules), the dependency the blocking happened in, and
 * whether Node's module loader stands between (a lazy require). Raw frames are captured cheaply;
 * formatting waits until a report is new.
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
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
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
const frameLine = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

function parsedFrames(above: Function): NodeJS.CallSite[] {
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, above);
  const frames: NodeJS.CallSite[] = [];
  for (const line of String(holder.stack).split('\n').slice(1)) {
    const m = frameLine.exec(line);
    if (m === null) continue;
    const [, fn, file, row, col] = m;
    frames.push({
      getFileName: () => file,
      getLineNumber: () => Number(row),
      getColumnNumber: () => Number(col),
      getFunctionName: () => fn ?? null,
      toString: () => line.trim().slice(3),
    } as unknown as NodeJS.CallSite);
  }
  return frames;
}

function fileOf(frame: NodeJS.CallSite): string | undefined {
  const name = frame.getFileName() ?? undefined;
  if (name === undefined || !name.startsWith('file://')) return name;
  try {
    return fileURLToPath(name);
  } catch {
    return name;
  }
}

/*
 * loopguard's own files: the folder above this one (src/ in development, dist/ when built), and
 * require-in-the-middle, whose require hook is loopguard's machinery, not the user's code.
 */
const ownRoots = ((): string[] => {
  const here = captureFrames(captureFrames, 2)[0];
  const file = here === undefined ? undefined : fileOf(here);
  const roots = [file === undefined ? '\0' : dirname(dirname(file)) + sep];
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

function toSite(frame: NodeJS.CallSite, file: string): Site {
  const fn = frame.getFunctionName() ?? undefined; // not getMethodName(): it searches the receiver
  const site: Site = { file, line: frame.getLineNumber() ?? 0, column: frame.getColumnNumber() ?? 0 };
  if (fn) site.function = fn;
  return site;
}

const depths = [4, 16, 64];

/**
 * Who called `above`. Capturing costs grow with depth, and the user's line is nearly always one
 * of the first frames: read 4 frames, and deeper only when those were all libraries or Node's.
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

/** The stack as people read it, without loopguard's frames; ESM URLs become paths. */
export function formatStack(frames: readonly NodeJS.CallSite[], max = 12): string {
  const lines: string[] = [];
  for (const frame of frames) {
    const file = fileOf(frame);
    if (file !== undefined && isOwnFile(file)) continue;
    let text: string;
    try {
      text = String(frame);
    } catch {
      text = `${file ?? '<anonymous>'}:${frame.getLineNumber() ?? 0}:${frame.getColumnNumber() ?? 0}`;
    }
    const url = frame.getFileName();
    if (url?.startsWith('file://') && file !== undefined) text = text.replace(url, file);
    lines.push(`    at ${text}`);
    if (lines.length >= max) break;
  }
  return lines.join('\n');
}
