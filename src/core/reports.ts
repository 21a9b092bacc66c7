import type { Site } from './call-sites';
import type { AttributeValue, HandlerContext } from './context';

/*
 * What loopguard reports, as users (and their tools: `loopguard report`, dashboards) read it: the
 * report types, the summary, and the two sink interfaces.
 */

export type { Site };

/** What a blocking API does, as shown in reports and in the README's table. */
export type ApiKind =
  | 'file-system'
  | 'process'
  | 'compression'
  | 'crypto'
  | 'synchronisation'
  | 'database'
  | 'network'
  | 'http'
  | 'image'
  | 'prompt'
  | 'module-load';

/** The handler a report happened in: its source, its event and the attributes it was given. */
export interface HandlerSummary {
  source: string;
  event: string;
  [attribute: string]: AttributeValue;
}

/** What every report has. */
export interface ReportBase {
  type: string;
  api: string;
  kind: ApiKind | 'interaction' | 'stall';
  outcome: string;
  /** How long the loop was blocked (total over `count` calls). 0 when stopped. */
  durationMs: number;
  /** The longest single call in this report. */
  maxDurationMs: number;
  /** Calls in this report: 1 for a new call site; for an aggregate, the repeats since the last one. */
  count: number;
  /** false: the first call at a new site. true: repeats at a known site, counted since the last report. */
  aggregate: boolean;
  /** When the (first) call started, ms since the epoch (the monotonic clock: `performance.timeOrigin + performance.now()`). */
  time: number;
  /**
   * The handler it happened in (null with `scope: all` outside handlers): its source, event and
   * this event's ids. Aggregates carry only the source and event (their repeats were many events).
   */
  handler: HandlerSummary | null;
  /** The line that called it, outside loopguard, Node's internals and dependencies. */
  site: Site | null;
  /**
   * When the blocking call was made inside a dependency called from `site`: that package, or the
   * chain of them the table knows (`quick.db → better-sqlite3`, `sync-fetch → child_process.execFileSync`).
   */
  via?: string;
  /** For module loads: what was required or imported. */
  module?: string;
  /**
   * For child processes: the program's base name (`git`, `pg_dump` for `PGPASSWORD=… pg_dump …`),
   * never its arguments. Reports hold no other argument of any call.
   */
  detail?: string;
  /**
   * Set on aggregates of hot sites: some of `count` and `durationMs` are calls whose stacks were
   * not read (sampling, above 50 calls a second of one API in one handler event), attributed to
   * this site: unbiased estimates.
   */
  estimated?: boolean;
  /** The stack without loopguard's frames, at most 12 frames. */
  stack: string;
  /** What to use instead. */
  hint: string;
  /** Where the fix is explained. */
  docs: string;
  pid: number;
}

/** One blocking call (or, with `aggregate`, repeats of it at the same site). */
export interface BlockingCallReport extends ReportBase {
  type: 'blocking-call';
  /** `fs.readFileSync`, `child_process.execSync`, `Atomics.wait`, `require`, ... */
  api: string;
  kind: ApiKind;
  /** `ran`: the call ran and blocked for `durationMs`. `thrown`: strict mode stopped it before it ran. */
  outcome: 'ran' | 'thrown';
}

/** A blocking call that ran in an interaction handler before the interaction was acknowledged. */
export interface Blocker {
  api: string;
  site: Site | null;
  durationMs: number;
}

/**
 * An interaction acknowledged after blocking calls delayed it (`outcome: 'delayed'`), or later
 * than Discord's 3-second deadline (`outcome: 'late'`). `site` is the acknowledging call,
 * `durationMs` the blocked time before it.
 */
export interface InteractionAckReport extends ReportBase {
  type: 'interaction-ack';
  /** The acknowledging method, e.g. `interaction.reply`. */
  api: string;
  kind: 'interaction';
  outcome: 'delayed' | 'late';
  /** From the handler's start to the acknowledgement (absent on aggregates: each repeat had its own). */
  ackDelayMs?: number;
  deadlineMs: number;
  /** The blocking calls that ran before the acknowledgement, longest first (at most 5; absent on aggregates). */
  blockers?: Blocker[];
}

/** A gateway connection whose heartbeats a stall held up. */
export interface HeartbeatAtRisk {
  shard: number;
  /** The interval Discord asked for in HELLO. */
  intervalMs: number;
  /** Heartbeats that fell due during the stall and were sent late (Discord closes the connection after missing about one and a half). */
  missed: number;
}

/** An interaction still waiting for its acknowledgement when the stall ended. */
export interface InteractionAtRisk {
  event: string;
  source: string;
  interactionId?: string;
  commandName?: string;
  /** Since the interaction's handler started (or Discord created it). */
  waitedMs: number;
  /** Past Discord's 3 s deadline: the user sees "The application did not respond". */
  late: boolean;
}

export interface AtRisk {
  heartbeats: HeartbeatAtRisk[];
  interactions: InteractionAtRisk[];
}

/**
 * The event loop did not turn for `durationMs` and no wrapped blocking call explains it: a CPU
 * loop, a huge JSON.parse, a native addon. `time` is when the stall started; `stack` is the main
 * thread's stack while it was stuck (captured by the watchdog thread), `site` its innermost line
 * of your code.
 */
export interface StallReport extends ReportBase {
  type: 'stall';
  /** The innermost function of `site` (or `event-loop` without a stack). */
  api: string;
  kind: 'stall';
  /**
   * `captured`: the stack is of the code that was stuck. `resumed`: the loop was stuck outside
   * JavaScript (native code, JSON.parse) and the stack was read where JavaScript resumed: the
   * call that blocked is the one just before `site`. `no-stack`: see `stackUnavailable`.
   */
  outcome: 'captured' | 'resumed' | 'no-stack';
  /** Why there is no stack: `inspector-busy` (--inspect), `inspector-unavailable`, `native` (stuck outside JavaScript until the end), `late`. */
  stackUnavailable?: string;
  /** From the threshold passing to the stack being read. */
  captureDelayMs?: number;
  thresholdMs: number;
  /**
   * How long the OS kept the main thread waiting for a CPU meanwhile (a busy host, not the app):
   * not counted in `durationMs`. `null` where it cannot be measured (not Linux): the stall may
   * then include such time.
   */
  cpuWaitMs?: number | null;
  /** What the stall held up (absent on aggregates: each stall had its own). */
  atRisk?: AtRisk;
}

export type Report = BlockingCallReport | InteractionAckReport | StallReport;

/** What the guard counted for the whole run, handed to sinks at exit. */
export interface Summary {
  calls: number;
  /** Calls strict mode stopped before they ran (included in `calls`). */
  stopped: number;
  blockedMs: number;
  sites: readonly SiteTotal[];
  /** Calls at sites beyond the site table's cap: counted, not reported one by one. */
  overflowCalls: number;
  /** Failures inside loopguard (a sink that threw, a report that could not be built). */
  internalErrors: number;
}

/** What reads every site's calls so far (`Sink.added`). */
export type SiteTotals = () => readonly SiteTotal[];

export interface SiteTotal {
  report: Report;
  count: number;
  blockedMs: number;
  maxMs: number;
  /** Some of `count` are estimates (sampling of a hot site). */
  estimated: boolean;
}

/**
 * One blocking call (or interaction acknowledgement) as it happens, before aggregation: what sinks
 * that keep a record per call (traces, metrics) get.
 */
export interface Observation {
  readonly type: Report['type'];
  readonly api: string;
  readonly kind: Report['kind'];
  readonly outcome: string;
  readonly durationMs: number;
  /**
   * When it started: milliseconds since the epoch, with a fraction, on the monotonic clock
   * (`timeOrigin() + now()`) every observation is timed with, which can be milliseconds off
   * Date.now().
   */
  readonly time: number;
  /** The live handler context: the same object for everything observed in one handled event. */
  readonly handler: HandlerContext | undefined;
  /**
   * A call at a hot site that was timed and counted without reading its stack (see
   * LOOPGUARD_SAMPLE_ABOVE): no site, no stack.
   */
  readonly sampled: boolean;
  readonly site: Site | undefined;
  readonly via: string | undefined;
  readonly module: string | undefined;
  readonly detail: string | undefined;
  readonly hint: string;
  readonly docs: string;
  /** The stack without loopguard's frames, formatted when asked (it costs: ask when recording it). */
  stack(): string;
  /** The report type's own fields (for `interaction-ack`: `ackDelayMs`, `deadlineMs`, `blockers`). */
  readonly extra: Readonly<Record<string, unknown>> | undefined;
}

/** Follows handlers from start to settlement (the OpenTelemetry sink's handler spans). */
export interface HandlerObserver {
  /** A handler starts. Returns its scope, or undefined to stay out of this one. */
  start(handler: HandlerContext): HandlerScope | undefined;
}

export interface HandlerScope {
  /** Runs the handler's listeners (e.g. with the handler's span active): calls `fn` once, synchronously. */
  run<R>(fn: () => R): R;
  /**
   * The handler's work settled. `errors`: what listeners threw or rejected with. A scope with
   * nothing to do then (an unsampled span) has none, and its handler's promises are not followed.
   */
  end?(errors: readonly unknown[]): void;
}

/** A call at a hot site that was timed and counted without reading its stack. */
export interface UnsampledCall {
  readonly api: string;
  readonly kind: Report['kind'];
  readonly hint: string;
  readonly durationMs: number;
  readonly time: number;
  readonly handler: HandlerContext | undefined;
}

/** Where reports go. Adding a reporter is adding a Sink. */
export interface Sink {
  readonly name: string;
  /** A new call site (count 1) or an aggregate of repeats. Must not block or throw (throws are caught). */
  write(report: Report): void;
  /** Every call as it happens, also repeats and sampled calls. Must not block or throw. */
  observe?(observation: Observation): void;
  /**
   * The calls at hot sites counted without reading their stack (most calls, at thousands a
   * second), called in the handler's own context rather than outside it (which would cost a
   * context switch per call): count them, nothing more — no I/O, no app code. A sink without it
   * gets them through `observe` (`sampled: true`), outside handlers.
   */
  count?(call: UnsampledCall): void;
  /** Whether `observe` wants calls right now (default: always). Asked per call: keep it a field read. */
  observing?(): boolean;
  /**
   * Whether the sink takes the unsampled calls right now, through `count` if it has it, else
   * `observe` (default: `observing()`). Asked per call. While one sink does, every call is timed
   * and an object is made for each: a sink that only needs totals reads them through `added`.
   */
  counting?(): boolean;
  /**
   * Called when the sink is added, with what reads the blocking calls counted so far, by site:
   * also the calls at hot sites whose stacks were not read, without any work per call (an
   * OpenTelemetry counter read when it is exported). Must not block or throw.
   */
  added?(totals: SiteTotals): void;
  /** Follows every handler from start to settlement, while the sink is added. */
  readonly handlers?: HandlerObserver;
  /** Called once at exit (synchronously) or on uninstall; must finish before returning. */
  close?(summary: Summary): void;
}
