import type { ApiKind } from '../apis/types';
import type { AttributeValue } from '../context';
import type { Site } from '../guard/callers';

export type { Site };

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
  kind: ApiKind | 'interaction';
  outcome: string;
  /** How long the loop was blocked (total over `count` calls). 0 when stopped. */
  durationMs: number;
  /** The longest single call in this report. */
  maxDurationMs: number;
  /** Calls in this report: 1 for a new call site; for an aggregate, the repeats since the last one. */
  count: number;
  /** false: the first call at a new site. true: repeats at a known site, counted since the last report. */
  aggregate: boolean;
  /** `Date.now()` of the (first) call. */
  time: number;
  /** The handler it happened in; null with `scope: all` outside handlers. */
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
   * For child processes: the program's name (`git`), never its arguments, unless
   * LOOPGUARD_REPORT_ARGS is on. Reports hold no other argument of any call.
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
  /** From the handler's start to the acknowledgement. */
  ackDelayMs: number;
  deadlineMs: number;
  /** The blocking calls that ran before the acknowledgement, longest first (at most 5). */
  blockers: Blocker[];
}

export type Report = BlockingCallReport | InteractionAckReport;

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

export interface SiteTotal {
  report: Report;
  count: number;
  blockedMs: number;
  maxMs: number;
  /** Some of `count` are estimates (sampling of a hot site). */
  estimated: boolean;
}

/** Where reports go. Adding a reporter is adding a Sink. */
export interface Sink {
  readonly name: string;
  /** A new call site (count 1) or an aggregate of repeats. Must not block or throw (throws are caught). */
  write(report: Report): void;
  /** Called once at exit (synchronously) or on uninstall; must finish before returning. */
  close?(summary: Summary): void;
}
