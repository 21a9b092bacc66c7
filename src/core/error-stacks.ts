import { captureFrames, fileOf, isOwnFile } from './call-sites';

/*
 * An error thrown through a wrapper (ENOENT from readFileSync, a failed execSync) must read as it
 * would without loopguard: no frame of loopguard's, and the same frames of the app's at the same
 * Error.stackTraceLimit — loopguard's frames took places in it, pushing the app's own out. The
 * outermost wrapper on the stack rebuilds it once: the frames below it (Node's own, e.g.
 * `Object.openSync (node:fs)`) without loopguard's, then the frames above it read again. Only
 * when something is thrown: the path of a call that returns is untouched.
 */

const frameLine = /^\s+at /;
/** `at fn (file:line:col)` or `at file:line:col`: the file of a formatted frame. */
const fileOfLine = /\(?((?:file:\/\/)?[^\s()]+?):\d+:\d+\)?$/;

function ownLine(line: string): boolean {
  const m = fileOfLine.exec(line);
  if (m === null) return false;
  const file = (m[1] as string).replace(/^file:\/\//, '');
  return isOwnFile(file);
}

/*
 * Where the wrappers of the app's calls are (guard/judging, guard/module-load): spans of lines,
 * not files, since built every module of loopguard's is in one file (dist/loopguard.js). A
 * module's functions stay in their order there, so its first and last function mark the span.
 * Positions are V8's raw ones, for the marks and the frames alike.
 */
interface Span {
  file: string;
  first: number;
  last: number;
}
const wrapperSpans: Span[] = [];
/** The marks of modules whose span is not read yet: a stack is read for each, when one is first needed. */
const unread: (readonly [() => Position | undefined, () => Position | undefined])[] = [];

interface Position {
  file: string;
  line: number;
}

/** The file and line `fn` was called from. */
function callerLine(fn: Function): Position | undefined {
  const frame = captureFrames(fn, 1)[0];
  const file = frame === undefined ? undefined : fileOf(frame);
  const line = frame?.getLineNumber();
  return file === undefined || line === null || line === undefined ? undefined : { file, line };
}

/** Called by a mark function: where it is. */
export function wrapperCodeMark(): Position | undefined {
  return callerLine(wrapperCodeMark);
}

/** The lines from the mark `first` (a module's first function) to `last` (its last one) are wrapper code. */
export function wrapperCode(first: () => Position | undefined, last: () => Position | undefined): void {
  unread.push([first, last]);
}

function spans(): readonly Span[] {
  for (const [first, last] of unread.splice(0)) {
    const from = first();
    const to = last();
    if (from !== undefined && to !== undefined && from.file === to.file) wrapperSpans.push({ file: from.file, first: from.line, last: to.line });
  }
  return wrapperSpans;
}

/** Whether another wrapper is further out on the stack (that one rebuilds the stack). */
function nested(wrapper: Function): boolean {
  const known = spans();
  for (const frame of captureFrames(wrapper, 64)) {
    const file = fileOf(frame);
    const line = frame.getLineNumber();
    if (file === undefined || line === null) continue;
    for (const span of known) if (span.file === file && line >= span.first && line <= span.last) return true;
  }
  return false;
}

/**
 * The frame of the wrapped function, right below the wrapper: V8 names it `fn [as key]` when it
 * was found on its receiver under another name (zlib's `syncBufferWrapper [as gunzipSync]`), which
 * it cannot when the receiver holds the wrapper. The name is put back as V8 would have written it.
 */
function asCalled(line: string, name: string, key: string | undefined): string {
  if (key === undefined || key === name || line.includes(' [as ')) return line;
  const m = /^(\s+at (?:\S+\.)?)(\S+) \(/.exec(line);
  return m !== null && m[2] === name ? `${m[1]}${name} [as ${key}]${line.slice((m[1] as string).length + name.length)}` : line;
}

/**
 * A function of Node's that loopguard replaced on its object (Module._load, Module.prototype.require)
 * and called from its replacement: V8 finds it under no name there, and Node 22 and newer print it
 * `Function.<anonymous>`. The replacement's own frame, the caller, shows the name it was called by.
 */
function asPatched(line: string, lines: readonly string[], at: number): string {
  // Node's functions only: an app's anonymous listener that loopguard calls is printed as without it.
  if (!line.includes('.<anonymous> (node:')) return line;
  // The outermost of loopguard's frames above it is the one its caller called by name.
  let outer: string | undefined;
  for (let i = at + 1; i < lines.length && ownLine(lines[i] as string); i++) outer = lines[i];
  const name = outer === undefined ? undefined : /^\s+at (?:\S+\.)?([^\s.]+) \(/.exec(outer)?.[1];
  return name === undefined || name === '<anonymous>' ? line : line.replace('.<anonymous> (node:', `.${name} (node:`);
}

/**
 * Rebuilds `error`'s stack as it would have been without loopguard (see above). `key`: the
 * property the app called (the wrapper mimics the original's name). Never throws.
 */
export function withoutOwnFrames(error: unknown, wrapper: Function, key?: string): void {
  try {
    if (!(error instanceof Error) || nested(wrapper)) return;
    const stack = error.stack;
    if (typeof stack !== 'string') return;
    const lines = stack.split('\n');
    const firstFrame = lines.findIndex((l) => frameLine.test(l));
    if (firstFrame < 0 || !lines.some(ownLine)) return;
    const limit = Error.stackTraceLimit;
    const holder: { stack?: unknown } = {};
    try {
      // Deeper than the limit: loopguard's frames above the wrapper (a handler's) are dropped.
      Error.stackTraceLimit = (typeof limit === 'number' && Number.isFinite(limit) ? limit : 10) + 32;
    } catch {
      // frozen (--frozen-intrinsics): read what the limit gives
    }
    try {
      Error.captureStackTrace(holder, wrapper);
    } finally {
      try {
        Error.stackTraceLimit = limit;
      } catch {
        // frozen
      }
    }
    const aboveAll = typeof holder.stack === 'string' ? holder.stack.split('\n').filter((l) => frameLine.test(l)) : [];
    const above = aboveAll.flatMap((l, i) => (ownLine(l) ? [] : [asPatched(l, aboveAll, i)]));
    const below: string[] = [];
    const frames = lines.slice(firstFrame);
    for (const [i, line] of frames.entries()) {
      if (above.length > 0 && line === above[0]) break;
      if (ownLine(line)) continue;
      const next = frames[i + 1];
      below.push(next !== undefined && ownLine(next) ? asPatched(asCalled(line, wrapper.name, key), frames, i) : line);
    }
    const all = [...below, ...above];
    const kept = typeof limit === 'number' && Number.isFinite(limit) && limit >= 0 ? all.slice(0, limit) : all;
    error.stack = [...lines.slice(0, firstFrame), ...kept].join('\n');
  } catch {
    // A frozen error, a stack that is not ours to rewrite: it stays as it was.
  }
}
