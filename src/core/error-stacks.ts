import { isOwnFile } from './call-sites';
import { outsideHandlers } from './context';

/*
 * An error thrown through a wrapper (ENOENT from readFileSync, a failed execSync) must read as it
 * would without loopguard: no frame of loopguard's, and the same frames of the app's at the same
 * Error.stackTraceLimit — loopguard's frames took places in it, pushing the app's own out. The
 * innermost wrapper it passes rebuilds it, once: the frames below that wrapper (Node's own, e.g.
 * `Object.openSync (node:fs)`) without loopguard's, then the frames above it read again, which
 * are all still on the stack there. Not an outer one: the frames between two wrappers (a module
 * whose own require fails) are gone by the time the outer one sees the error, and code between
 * them may catch it (and print its stack) before it gets there. Only when something is thrown:
 * the path of a call that returns is untouched.
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

/** What the innermost wrapper an error passed saw of it: enough to rebuild its stack later. */
interface Passed {
  /** The frames above that wrapper, captured as it passed the error on (formatted when read). */
  readonly above: { stack?: unknown };
  readonly limit: unknown;
  readonly name: string;
  readonly key: string | undefined;
  readonly enumerable: boolean;
  /** The wrappers further out that the error passed, innermost first: their names and keys. */
  readonly outer: [string, string | undefined][];
}

/** Errors rebuilt already, or found without loopguard's frames: wrappers further out leave them. */
const seen = new WeakSet<Error>();
/** Errors whose rebuilding waits for the first read of their stack. */
const waiting = new WeakMap<Error, Passed>();
/** Rebuilt errors' lines that ran right below an outer wrapper of loopguard's (see namedOuter). */
const belowOuter = new WeakMap<Error, number[]>();

interface StackAccessor {
  get(): unknown;
  set(value: unknown): void;
}

/** V8's accessor, once asked (see v8StackAccessor); null where there is none. A fact of this V8, never reset. */
let v8Stack: StackAccessor | null | undefined;

/**
 * V8's own accessor of an error's `stack` (Node 22 and newer: each error's own getter and setter,
 * which formats its frames at the first read); undefined where `stack` is a data property (Node 20).
 * Asked at the first error a wrapper passes, not at load: on Node 20 reading the descriptor formats
 * a stack, which cost `-e 0` 2.2 M instructions.
 */
function v8StackAccessor(): StackAccessor | undefined {
  if (v8Stack === undefined) {
    // A probe without frames: formatting it (Node 20) reads no file for the app's prepareStackTrace.
    const limit = Error.stackTraceLimit;
    let probe: Error;
    try {
      Error.stackTraceLimit = 0;
    } catch {
      // frozen (--frozen-intrinsics): a probe with frames
    }
    try {
      probe = new Error();
    } finally {
      try {
        Error.stackTraceLimit = limit;
      } catch {
        // frozen
      }
    }
    const d = Object.getOwnPropertyDescriptor(probe, 'stack');
    v8Stack = d?.get !== undefined && d.set !== undefined ? { get: d.get, set: d.set } : null;
  }
  return v8Stack ?? undefined;
}

/**
 * Rebuilds `error`'s stack as it would have been without loopguard (see above). `key`: the
 * property the app called (the wrapper mimics the original's name). Never throws.
 *
 * Where V8 formats the stack at its first read (Node 22+), so does this: the frames above the
 * wrapper are captured now, while they are on the stack, and the error's `stack` accessor gives
 * way to one of loopguard's until the first read or write, which puts V8's back with the rebuilt
 * text. An error that nobody reads (a library trying an optional package) then costs no
 * formatting, as without loopguard. On Node 20 the stack is a string already: rebuilt now.
 */
export function withoutOwnFrames(error: unknown, wrapper: Function, key?: string): void {
  if (!(error instanceof Error)) return;
  // Reading a stack here may run the app's Error.prepareStackTrace (on Node 20 an error's stack
  // descriptor holds the formatted text; source-map-support reads files to format it): that is
  // loopguard's doing, never a blocking call of the handler the error was thrown in.
  outsideHandlers(() => rebuild(error, wrapper, key));
}

function rebuild(error: Error, wrapper: Function, key: string | undefined): void {
  try {
    const passed = waiting.get(error);
    if (passed !== undefined) {
      passed.outer.push([wrapper.name, key]);
      return;
    }
    if (seen.has(error)) {
      nameOuter(error, wrapper.name, key);
      return;
    }
    seen.add(error);
    const own = Object.getOwnPropertyDescriptor(error, 'stack');
    if (own === undefined) return;
    const limit = Error.stackTraceLimit;
    const p: Passed = { above: captureAbove(wrapper, limit), limit, name: wrapper.name, key, enumerable: own.enumerable === true, outer: [] };
    const v8 = v8StackAccessor();
    if (v8 !== undefined && own.get === v8.get && own.set === v8.set && own.configurable === true) {
      waiting.set(error, p);
      Object.defineProperty(error, 'stack', { get: readStack, set: writeStack, enumerable: p.enumerable, configurable: true });
      return;
    }
    const stack = error.stack;
    const text = rebuiltText(error, stack, p);
    if (text !== stack) error.stack = text as string; // a rebuilt text is a string
  } catch {
    // A frozen error, a stack that is not ours to rewrite: it stays as it was.
  }
}

/** The frames above `wrapper`, deeper than the limit: loopguard's among them (outer wrappers, a handler's) are dropped. */
function captureAbove(wrapper: Function, limit: unknown): { stack?: unknown } {
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = (typeof limit === 'number' && Number.isFinite(limit) ? limit : 10) + 32;
  } catch {
    // frozen (--frozen-intrinsics): read what the limit gives
  }
  try {
    Error.captureStackTrace(holder, wrapper);
  } finally {
    try {
      Error.stackTraceLimit = limit as number;
    } catch {
      // frozen
    }
  }
  return holder;
}

/**
 * V8's accessor again, as the error had it, holding `text`: after this, reads and writes are V8's
 * own. An error frozen or sealed meanwhile keeps loopguard's accessor, which then gives `text`
 * (V8's own would have kept its text on a frozen error as well).
 */
function putBack(error: Error, p: Passed, text: unknown): void {
  try {
    Object.defineProperty(error, 'stack', { get: v8Stack?.get, set: v8Stack?.set, enumerable: p.enumerable, configurable: true });
    v8Stack?.set.call(error, text);
  } catch {
    kept.set(error, text);
  }
}

/** The stack text of errors frozen before their first read (see putBack). */
const kept = new WeakMap<Error, unknown>();

/** The first read of a passed error's stack: V8 formats it, then it is rebuilt once. */
function readStack(this: Error): unknown {
  const p = waiting.get(this);
  if (p === undefined) return kept.has(this) ? kept.get(this) : v8Stack?.get.call(this);
  waiting.delete(this);
  const text = rebuiltText(this, v8Stack?.get.call(this), p);
  putBack(this, p, text);
  return text;
}

/**
 * `error`'s stack text rebuilt (with the names of the outer wrappers it passed since), or `stack`
 * as it is when there is nothing to rebuild. Remembers which lines outer wrappers may still name.
 */
function rebuiltText(error: Error, stack: unknown, p: Passed): unknown {
  try {
    const r = rebuilt(stack, p);
    if (r === undefined) return stack;
    let text = r.stack;
    for (const [name, key] of p.outer) text = namedOuter(text, r.outerAt, name, key);
    if (r.outerAt.length > 0) belowOuter.set(error, r.outerAt);
    return text;
  } catch {
    return stack; // not ours to rewrite: V8's text
  }
}

/** A write before any read: the app's text, as V8 would keep it. */
function writeStack(this: Error, value: unknown): void {
  const p = waiting.get(this);
  if (p === undefined) {
    if (kept.has(this)) kept.set(this, value);
    else v8Stack?.set.call(this, value);
    return;
  }
  waiting.delete(this);
  putBack(this, p, value);
}

/**
 * The stack text without loopguard's frames, and the lines of it that ran right below an outer
 * wrapper of loopguard's; undefined when there is nothing to rebuild.
 */
function rebuilt(stack: unknown, p: Passed): { stack: string; outerAt: number[] } | undefined {
  if (typeof stack !== 'string') return undefined;
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((l) => frameLine.test(l));
  if (firstFrame < 0 || !lines.some(ownLine)) return undefined;
  const aboveAll = typeof p.above.stack === 'string' ? p.above.stack.split('\n').filter((l) => frameLine.test(l)) : [];
  const above: string[] = [];
  const outerAt: number[] = [];
  for (const [i, line] of aboveAll.entries()) {
    if (ownLine(line)) continue;
    const next = aboveAll[i + 1];
    if (next !== undefined && ownLine(next)) outerAt.push(above.length);
    above.push(asPatched(line, aboveAll, i));
  }
  const below: string[] = [];
  const frames = lines.slice(firstFrame);
  for (const [i, line] of frames.entries()) {
    if (above.length > 0 && line === above[0]) break;
    if (ownLine(line)) continue;
    const next = frames[i + 1];
    below.push(next !== undefined && ownLine(next) ? asPatched(asCalled(line, p.name, p.key), frames, i) : line);
  }
  const { limit } = p;
  const all = [...below, ...above];
  const kept = typeof limit === 'number' && Number.isFinite(limit) && limit >= 0 ? all.slice(0, limit) : all;
  const at = outerAt.map((n) => firstFrame + below.length + n).filter((n) => n < firstFrame + kept.length);
  return { stack: [...lines.slice(0, firstFrame), ...kept].join('\n'), outerAt: at };
}

/**
 * An outer wrapper's part: its original's line (the first of `at` that it names), if the app
 * called it by another name (see asCalled). That line is then taken from `at`.
 */
function namedOuter(stack: string, at: number[], name: string, key: string | undefined): string {
  if (key === undefined || key === name) return stack;
  const lines = stack.split('\n');
  const i = at.findIndex((n) => asCalled(lines[n] as string, name, key) !== lines[n]);
  if (i < 0) return stack;
  const n = at[i] as number;
  lines[n] = asCalled(lines[n] as string, name, key);
  at.splice(i, 1);
  return lines.join('\n');
}

/** namedOuter, for an error rebuilt already. */
function nameOuter(error: Error, name: string, key: string | undefined): void {
  const at = belowOuter.get(error);
  if (at === undefined || key === undefined || key === name || typeof error.stack !== 'string') return;
  const stack = namedOuter(error.stack, at, name, key);
  if (stack !== error.stack) error.stack = stack;
}
