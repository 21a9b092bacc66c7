import { onBun } from '../core/bun';
import type { Bus, CallTiming } from '../core/bus';
import { readCallers, type Callers } from '../core/call-sites';
import { epochNow, idleTime } from '../core/clock';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { isBuiltinLoaded } from '../core/modules';
import { raw } from '../core/raw';
import type { AtRisk } from '../core/reports';
import type { OwnThread } from '../thread/client';
import { Slot } from '../thread/protocol';
import { StallCapture, type Capture } from './capture';

/*
 * The main-thread side of the stall watchdog: a heartbeat timer that tells loopguard's thread
 * (thread/stall-check.ts) the loop turned, and the stall report, built when the loop turns again
 * after a stall. Only the main thread is watched: it holds the gateway connections and answers
 * interactions (a worker thread cannot be read by another thread's inspector session).
 */

const stallHint = 'move CPU-heavy work off the main thread (a worker thread, a child process) or split it into chunks that yield (await setImmediate)';

/*
 * JavaScript checks for the inspector's request at function entries and loop back-edges, also
 * inside Atomics.wait; native code (an addon, execSync) and some builtins (JSON.parse) do not:
 * the stack is then read where JavaScript resumed, right after the call that held the loop.
 */
const lateMs = 50;

/** Frames of the evaluation of the app's entry module: start-up, never a stall. */
const startupFiles = ['node:internal/modules/run_main', 'node:internal/modules/esm/module_job'];


/*
 * Time the OS kept the main thread waiting for a CPU (Linux: its schedstat's second field, ns):
 * a host busy with other work is not the app's stall. Read at each heartbeat (a few µs of procfs);
 * undefined where it cannot be read.
 */
const schedstat = `/proc/${process.pid}/task/${process.pid}/schedstat`;
function cpuWaitMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const fd = raw.openSync(schedstat, 'r');
    try {
      const buffer = Buffer.alloc(96);
      const n = raw.readSync(fd, buffer, 0, buffer.length, 0);
      const waitNs = Number(buffer.toString('latin1', 0, n).split(' ')[1]);
      return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
    } finally {
      raw.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * How long the loop was held by code no wrapper saw, from the time it was busy between two beats
 * (running or waiting for a CPU), the time wrapped calls reported (by the clock, so waits for a CPU
 * included) and the time the OS kept the thread waiting for a CPU. The waits are spread over the
 * interval: the unexplained part's share of them is its share of the busy time.
 */
export function stalledTime(busyMs: number, explainedMs: number, waitedMs: number | undefined): { stalledMs: number; waitedHereMs: number | undefined } {
  const unexplainedMs = Math.max(0, busyMs - explainedMs);
  const waitedHereMs = waitedMs === undefined || busyMs <= 0 ? waitedMs : waitedMs * (unexplainedMs / busyMs);
  return { stalledMs: Math.max(0, unexplainedMs - (waitedHereMs ?? 0)), waitedHereMs };
}

/** Node's flags that open the inspector at start (`--inspect`, `--inspect-brk`, `--inspect-wait`, `node inspect`'s `--inspect-brk-node`), with or without `=[host:]port`. */
const inspectFlag = /^--inspect(?:-brk(?:-node)?|-wait)?(?:=|$)/;

/**
 * Why the inspector cannot read the main thread's stack here, or undefined when it can. A debugger
 * is asked of node:inspector only when something loaded it (`inspector.open()`, a debugger's
 * bootloader); else by Node's flags: loading it would cost the main thread about 3 ms, and only
 * loopguard's thread needs it.
 */
function inspectorProblem(): string | undefined {
  // Bun's node:inspector makes sessions, but one in loopguard's thread never reaches the main thread.
  if (onBun) return 'inspector-unavailable-bun';
  if (!process.features.inspector) return 'inspector-unavailable';
  if (!isBuiltinLoaded('inspector')) {
    const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
    return flags.some((flag) => inspectFlag.test(flag)) ? 'inspector-busy' : undefined;
  }
  try {
    const inspector = require('node:inspector') as typeof import('node:inspector');
    return inspector.url() === undefined ? undefined : 'inspector-busy';
  } catch {
    return 'inspector-unavailable';
  }
}

export interface WatchdogOptions {
  stallMs: number;
  /** Whether stalls outside handlers are judged (`scope: all`), read when one is reported. */
  judgesAll(): boolean;
  /**
   * Start-up is over (the loop has turned): armed at once, with the thread started now, so that
   * the handler that started reporting is watched already. Else armed at the next turn.
   */
  armNow: boolean;
  warn(key: string, text: string): void;
}

export class Watchdog {
  private readonly shared: Int32Array;
  private readonly origin: number;
  private readonly capture: StallCapture;
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private lastIdle = 0;
  private lastCpuWait: number | undefined;
  /** Why stacks cannot be read, when known at start. */
  private noStack: string | undefined;
  private stopped = false;

  private constructor(private readonly bus: Bus, private readonly thread: OwnThread, private readonly options: WatchdogOptions) {
    this.shared = thread.shared;
    this.origin = thread.origin;
    for (const slot of [Slot.beat, Slot.beatAt, Slot.inCall, Slot.explainedUs, Slot.noInspector]) Atomics.store(this.shared, slot, 0);
    this.capture = new StallCapture(this.shared, this.origin, () => bus.atRisk.items.map((s) => s.snapshot()));
  }

  /** Starts watching (main thread only; undefined with `stallMs` off or without loopguard's thread). */
  static start(bus: Bus, thread: OwnThread, options: WatchdogOptions): Watchdog | undefined {
    if (!isMainThread || !Number.isFinite(options.stallMs)) return undefined;
    if (!thread.running) {
      options.warn('watchdog', 'loopguard\'s thread could not start: stalls are not reported');
      return undefined;
    }
    const w = new Watchdog(bus, thread, options);
    bus.timing = w.timing;
    if (options.armNow) {
      w.arm();
      return w;
    }
    // Armed at the next turn of the loop, so never during start-up (loading the app is not a
    // stall). The immediate does not keep the loop alive: a process that ends without a turn has no stall.
    outsideHandlers(() => setImmediate(() => {
      if (w.stopped) return;
      w.arm();
    }).unref());
    return w;
  }

  private arm(): void {
    const { options, thread } = this;
    thread.launch();
    this.noStack = inspectorProblem();
    if (this.noStack === 'inspector-busy') options.warn('watchdog-stack', 'a debugger is attached (--inspect): stall reports come without stacks');
    else if (this.noStack === 'inspector-unavailable-bun') {
      this.noStack = 'inspector-unavailable';
      options.warn('watchdog-stack', 'on Bun, loopguard\'s thread cannot read the main thread\'s stack (no inspector session reaches it): stall reports come without stacks');
    } else if (this.noStack !== undefined) options.warn('watchdog-stack', 'this Node has no inspector: stall reports come without stacks');
    const { stallMs } = options;
    const beatMs = Math.min(500, Math.max(10, stallMs / 10));
    thread.watch({ stallMs, beatMs, capture: this.noStack === undefined });
    this.lastAt = epochNow();
    this.lastIdle = idleTime();
    this.lastCpuWait = cpuWaitMs();
    Atomics.store(this.shared, Slot.beatAt, Math.round(this.lastAt - this.origin));
    Atomics.store(this.shared, Slot.beat, 1);
    this.timer = setInterval(() => this.beat(), beatMs).unref();
  }

  get stallMs(): number {
    return this.options.stallMs;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.bus.timing === this.timing) this.bus.timing = undefined;
    this.capture.disable();
    this.thread.unwatch();
  }

  /** At exit the loop may never turn again: a stall that ends the process is judged now. */
  atExit(): void {
    if (this.timer !== undefined && !this.stopped) this.beat();
    this.stop();
  }

  /**
   * Wrapped calls mark the time their own reports explain. Plain writes, not Atomics: the main
   * thread is these slots' only writer (the thread reads them with Atomics.load), and a
   * sequentially consistent store or add is a full barrier in every wrapped call of a handler.
   */
  private readonly timing: CallTiming = {
    started: () => {
      this.shared[Slot.inCall] = 1;
    },
    ended: (durationMs) => {
      this.shared[Slot.inCall] = 0;
      this.timing.explained(durationMs);
    },
    explained: (durationMs) => {
      this.shared[Slot.explainedUs] += Math.round(durationMs * 1000);
    },
  };

  /** The loop turned: was the time since the last beat a stall? */
  private beat(): void {
    const now = epochNow();
    const idle = idleTime();
    const { shared } = this;
    const beatNo = Atomics.load(shared, Slot.beat);
    const cpuWait = cpuWaitMs();
    const waitedMs = cpuWait === undefined || this.lastCpuWait === undefined ? undefined : Math.max(0, cpuWait - this.lastCpuWait);
    this.lastCpuWait = cpuWait;
    const explainedMs = Atomics.load(shared, Slot.explainedUs) / 1000;
    const { stalledMs, waitedHereMs } = stalledTime(now - this.lastAt - (idle - this.lastIdle), explainedMs, waitedMs);
    Atomics.store(shared, Slot.explainedUs, 0);
    Atomics.store(shared, Slot.beatAt, Math.round(now - this.origin));
    Atomics.store(shared, Slot.beat, beatNo + 1);
    this.lastAt = now;
    this.lastIdle = idle;
    const captured = this.capture.take(beatNo);
    if (stalledMs < this.options.stallMs) return;
    try {
      this.report(stalledMs, captured, waitedHereMs);
    } catch (error) {
      this.bus.fail(error, 'reporting a stall');
    }
  }

  private report(durationMs: number, captured: Capture | undefined, cpuWaitMs: number | undefined): void {
    // Date.now(), as the heartbeats and interactions at risk were timed (the stall's own time is epochNow()).
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
      if (handler === undefined && !this.options.judgesAll()) return;
      if (handler === undefined && frames.some((f) => startupFiles.some((s) => (f.getFileName() ?? '').startsWith(s)))) return;
    }
    let why = this.noStack;
    if (why === undefined && Atomics.load(this.shared, Slot.noInspector) !== 0) {
      why = 'inspector-unavailable';
      this.options.warn('watchdog-stack', 'the watchdog cannot connect to the main thread\'s inspector: stall reports come without stacks');
    }
    const callers: Callers = readCallers(frames);
    const extra: Record<string, unknown> = {
      thresholdMs: this.options.stallMs,
      // Not counted in durationMs; null where it cannot be measured (the stall may then include it).
      cpuWaitMs: cpuWaitMs === undefined ? null : Math.round(cpuWaitMs * 10) / 10,
      atRisk: this.atRisk(end - durationMs, end, captured?.snapshots),
    };
    if (captured !== undefined) extra['captureDelayMs'] = Math.max(0, Math.round(captured.delayMs * 10) / 10);
    else extra['stackUnavailable'] = why ?? 'native';
    this.bus.occurrences.publish({
      type: 'stall',
      api: frames.length === 0 ? 'event-loop' : functionOf(frames[0] as NodeJS.CallSite),
      kind: 'stall',
      hint: stallHint,
      outcome: captured === undefined ? 'no-stack' : captured.delayMs > lateMs ? 'resumed' : 'captured',
      durationMs: Math.round(durationMs),
      time: epochNow() - Math.round(durationMs),
      handler,
      callers,
      extra,
    });
  }

  /** What every at-risk source says the stall held up. */
  private atRisk(start: number, end: number, snapshots: unknown[] | undefined): AtRisk {
    const out: AtRisk = { heartbeats: [], interactions: [] };
    this.bus.atRisk.items.forEach((source, i) => {
      const part = source.assess(start, end, snapshots?.[i]);
      if (part.heartbeats !== undefined) out.heartbeats.push(...part.heartbeats);
      if (part.interactions !== undefined) out.interactions.push(...part.interactions);
    });
    return out;
  }
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
