import { isMainThread } from 'node:worker_threads';
import { handlerStorage } from '../context';
import { readCallers, type Callers } from '../guard/callers';
import { state } from '../guard/state';
import { deadlineMs } from '../integrations/acks';
import { atRisk } from './at-risk';
import { disableCapture, enableCapture, takeCapture, type Capture } from './capture';
import type { OwnThread } from '../thread/client';
import { Slot, clock } from '../thread/protocol';

/*
 * The main-thread side of the stall watchdog: a heartbeat timer that tells loopguard's thread
 * (thread/stall-check.ts) the loop turned, and builds the stall report when it turns again after a stall.
 * Only the main thread is watched: it is the one that holds the gateway connections and answers
 * interactions (a worker thread cannot be paused or read by another thread's inspector session).
 */

const stallHint = 'move CPU-heavy work off the main thread (a worker thread, a child process) or split it into chunks that yield (await setImmediate)';

interface Running {
  thread: OwnThread;
  shared: Int32Array;
  timer: NodeJS.Timeout | undefined;
  stallMs: number;
  origin: number;
  lastAt: number;
  lastIdle: number;
  /** Why stacks cannot be read, when known at start. */
  noStack: string | undefined;
  hooks: WatchdogHooks;
}

let running: Running | undefined;
/** Read by the wrappers (call.ts) to mark the time their own reports explain. */
export let watched: Int32Array | undefined;

const idleTime = (): number => performance.nodeTiming.idleTime;

/** Why the inspector cannot read the main thread's stack here, or undefined when it can. */
function inspectorProblem(): string | undefined {
  try {
    const inspector = require('node:inspector') as typeof import('node:inspector');
    return inspector.url() === undefined ? undefined : 'inspector-busy';
  } catch {
    return 'inspector-unavailable';
  }
}

export interface WatchdogHooks {
  warn(key: string, message: string): void;
}

/** Starts the watchdog in loopguard's thread (main thread only; a no-op with `stallMs: off`). */
export function startWatchdog(threadOf: () => OwnThread, stallMs: number, hooks: WatchdogHooks): void {
  if (running !== undefined || !isMainThread || !Number.isFinite(stallMs)) return;
  const thread = threadOf();
  if (!thread.running) {
    hooks.warn('watchdog', 'loopguard: loopguard\'s thread could not start: stalls are not reported');
    return;
  }
  const { shared, origin } = thread;
  for (const slot of [Slot.beat, Slot.beatAt, Slot.inCall, Slot.explainedUs, Slot.noInspector]) Atomics.store(shared, slot, 0);
  const noStack = inspectorProblem();
  const beatMs = Math.min(500, Math.max(10, stallMs / 10));
  thread.watch({ stallMs, beatMs, capture: noStack === undefined });
  if (noStack === 'inspector-busy') {
    hooks.warn('watchdog-stack', 'loopguard: a debugger is attached (--inspect): stall reports come without stacks');
  } else if (noStack !== undefined) {
    hooks.warn('watchdog-stack', 'loopguard: this Node has no inspector: stall reports come without stacks');
  }
  enableCapture(shared, origin);
  running = { thread, shared, timer: undefined, stallMs, origin, lastAt: 0, lastIdle: 0, noStack, hooks };
  watched = shared;
  // Armed at the first turn of the loop: start-up (loading the app) is not a stall.
  const r = running;
  handlerStorage.exit(() => setImmediate(() => {
    if (running !== r) return;
    r.lastAt = clock();
    r.lastIdle = idleTime();
    Atomics.store(shared, Slot.beatAt, Math.round(r.lastAt - origin));
    Atomics.store(shared, Slot.beat, 1);
    r.timer = setInterval(() => beat(r, hooks), beatMs).unref();
  }));
}

/** Puts `stallMs` in force: starts, restarts or stops the watchdog. */
export function useWatchdog(threadOf: () => OwnThread, stallMs: number, hooks: WatchdogHooks): void {
  if (running !== undefined && running.stallMs === stallMs && running.thread === threadOf()) return;
  stopWatchdog();
  startWatchdog(threadOf, stallMs, hooks);
}

export function stopWatchdog(): void {
  const r = running;
  if (r === undefined) return;
  running = undefined;
  watched = undefined;
  if (r.timer !== undefined) clearInterval(r.timer);
  disableCapture();
  r.thread.unwatch();
}

/** At exit the loop may never turn again: a stall that ends the process is judged now. */
export function watchdogAtExit(): void {
  if (running?.timer !== undefined) beat(running, running.hooks);
  stopWatchdog();
}

/** The loop turned: was the time since the last beat a stall? */
function beat(r: Running, hooks: WatchdogHooks): void {
  const now = clock();
  const idle = idleTime();
  const { shared } = r;
  const beatNo = Atomics.load(shared, Slot.beat);
  // Time the loop spent running code since the last beat, minus what wrapped calls reported.
  const activeMs = now - r.lastAt - (idle - r.lastIdle);
  const explainedMs = Atomics.load(shared, Slot.explainedUs) / 1000;
  Atomics.store(shared, Slot.explainedUs, 0);
  Atomics.store(shared, Slot.beatAt, Math.round(now - r.origin));
  Atomics.store(shared, Slot.beat, beatNo + 1);
  r.lastAt = now;
  r.lastIdle = idle;
  const captured = takeCapture(beatNo);
  if (activeMs - explainedMs < r.stallMs) return;
  try {
    report(r, activeMs, captured, hooks);
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a stall');
  }
}

/*
 * JavaScript checks for the inspector's request at function entries and loop back-edges, also
 * inside Atomics.wait; native code (an addon, execSync) and some builtins (JSON.parse) do not:
 * the stack is then read where JavaScript resumed, right after the call that held the loop.
 */
const lateMs = 50;

const startupFiles = ['node:internal/modules/run_main', 'node:internal/modules/esm/module_job'];

function report(r: Running, durationMs: number, captured: Capture | undefined, hooks: WatchdogHooks): void {
  const end = Date.now();
  let frames = captured === undefined ? [] : stuckFrames(captured.frames);
  // Only Node's own frames: the request ran after the stuck code (in the timers that follow it).
  if (captured !== undefined && readCallers(frames).origin === undefined) {
    captured = undefined;
    frames = [];
  }
  const handler = captured?.handler;
  if (captured !== undefined) {
    // Judged like blocking calls: in handlers, or anywhere with `scope: all` (but never the
    // evaluation of the app's entry module, which is start-up).
    if (handler === undefined && state.settings.scope !== 'all') return;
    if (handler === undefined && frames.some((f) => startupFiles.some((s) => (f.getFileName() ?? '').startsWith(s)))) return;
  }
  let why = r.noStack;
  if (why === undefined && Atomics.load(r.shared, Slot.noInspector) !== 0) {
    why = 'inspector-unavailable';
    hooks.warn('watchdog-stack', 'loopguard: the watchdog cannot connect to the main thread\'s inspector: stall reports come without stacks');
  }
  const callers: Callers = readCallers(frames);
  const extra: Record<string, unknown> = { thresholdMs: r.stallMs, atRisk: atRisk(end - durationMs, end, deadlineMs, captured?.waiting) };
  if (captured !== undefined) extra['captureDelayMs'] = Math.max(0, Math.round(captured.delayMs * 10) / 10);
  else extra['stackUnavailable'] = why ?? 'native';
  state.dispatcher.record({
    type: 'stall',
    api: frames.length === 0 ? 'event-loop' : functionOf(frames[0] as NodeJS.CallSite),
    kind: 'stall',
    hint: stallHint,
    outcome: captured === undefined ? 'no-stack' : captured.delayMs > lateMs ? 'resumed' : 'captured',
    durationMs: Math.round(durationMs),
    time: end - Math.round(durationMs),
    handler,
    callers,
    extra,
  });
}

/** The captured frames below the evaluation that read them (its script has no name). */
function stuckFrames(frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  const first = frames[0];
  return first !== undefined && !first.getFileName() && first.isToplevel() ? frames.slice(1) : frames;
}

/** `spin`, `JSON.parse`, `Atomics.wait`: the function as the stack line names it. */
function functionOf(frame: NodeJS.CallSite): string {
  let text: string;
  try {
    text = String(frame);
  } catch {
    return frame.getFunctionName() ?? '<anonymous>';
  }
  const at = text.lastIndexOf(' (');
  return at > 0 ? text.slice(0, at) : frame.getFunctionName() ?? '<anonymous>';
}

/** A wrapped call in a handler starts: its time is its own report's, not a stall's. */
export function callStarted(shared: Int32Array): void {
  Atomics.store(shared, Slot.inCall, 1);
}

export function callEnded(shared: Int32Array, durationMs: number): void {
  Atomics.store(shared, Slot.inCall, 0);
  explained(shared, durationMs);
}

/** Time a report of loopguard's own accounts for (a wrapped call, a lazy require). */
export function explained(shared: Int32Array, durationMs: number): void {
  Atomics.add(shared, Slot.explainedUs, Math.round(durationMs * 1000));
}
