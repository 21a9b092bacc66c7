import { onBun } from '../core/bun';
import type { Bus, CallTiming } from '../core/bus';
import { readCallers, type Callers } from '../core/call-sites';
import { epochNow, idleTime } from '../core/clock';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { isBuiltinLoaded } from '../core/modules';
import type { AtRisk } from '../core/reports';
import type { OwnThread } from '../thread/client';
import { Slot } from '../thread/protocol';
import { StallCapture, type Capture } from './capture';
import { CpuWait } from './cpu-wait';

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

/**
 * The next heartbeat's period. An idle bot's loop waits for events nearly all the time, and each
 * beat wakes it (about half a millisecond of CPU a beat here, most of it the wakeup itself): while
 * the loop was idle since the last beat (`busyMs`, the beat's own work aside, under 2 % of the
 * gap), the period doubles, up to `idleShare` of the stall threshold; any work brings it back to
 * `beatMs`. A stall is still seen at most `stallMs` after the last beat, only sooner after its
 * start when the beat before it was a slow one: loopguard's thread may then read the stack of a
 * shorter one, which the main thread, timing it by its busy time, does not report.
 */
export function beatPeriod(periodMs: number, gapMs: number, busyMs: number, beatMs: number, stallMs: number): number {
  if (busyMs >= Math.max(1, gapMs * 0.02)) return beatMs;
  return Math.max(beatMs, Math.min(periodMs * 2, Math.floor(stallMs * idleShare)));
}

/*
 * Not half: loopguard's thread looks `stallMs` after the last beat it saw. Two beats at 45 % of it
 * fall 10 % before that look, so it sees the second and sleeps 90 % of the threshold again, once
 * every 0.9 s by default; at half, the second beat came at the very moment of the look, and the
 * thread, seeing the first as often as not, looked twice a second.
 */
const idleShare = 0.45;

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
  /** The heartbeat's period now: `beatMs` while the loop works, longer while it waits (beatPeriod). */
  private periodMs = 0;
  private beatMs = 0;
  private lastAt = 0;
  private lastIdle = 0;
  private readonly cpuWait = new CpuWait();
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
    this.lastCpuWait = this.cpuWait.read();
    Atomics.store(this.shared, Slot.beatAt, Math.round(this.lastAt - this.origin));
    Atomics.store(this.shared, Slot.beat, 1);
    this.beatMs = this.periodMs = beatMs;
    this.timer = setTimeout(this.onTimer, beatMs).unref();
  }

  private readonly onTimer = (): void => {
    if (this.stopped) return;
    const period = this.periodMs;
    this.beat();
    if (this.stopped) return;
    // The same period again re-arms the same timer; another one takes a new timer.
    if (this.periodMs === period) this.timer?.refresh();
    else this.timer = setTimeout(this.onTimer, this.periodMs).unref();
  };

  get stallMs(): number {
    return this.options.stallMs;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.cpuWait.close();
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
    const cpuWait = this.cpuWait.read();
    const waitedMs = cpuWait === undefined || this.lastCpuWait === undefined ? undefined : Math.max(0, cpuWait - this.lastCpuWait);
    this.lastCpuWait = cpuWait;
    const explainedMs = Atomics.load(shared, Slot.explainedUs) / 1000;
    const busyMs = now - this.lastAt - (idle - this.lastIdle);
    const { stalledMs, waitedHereMs } = stalledTime(busyMs, explainedMs, waitedMs);
    this.periodMs = beatPeriod(this.periodMs, now - this.lastAt, busyMs, this.beatMs, this.options.stallMs);
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
