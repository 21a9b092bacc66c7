import type { Site } from '../core/reports';
import type { SkipReason } from './validate';

/*
 * What `loopguard report` found, merged over every file, process and shard: the shape of
 * `--json` (version 1; fields may be added, none renamed or removed without a new version) and
 * what the text and HTML renderings show.
 */

export const schema = 'loopguard-report/1';

export interface HandlerCount {
  source: string;
  event: string;
  count: number;
}

export interface CallSite {
  rank: number;
  api: string;
  kind: string;
  site: Site | null;
  via?: string;
  module?: string;
  /** Blocking calls at this site (the sum of the lines' `count`), those strict mode stopped included. */
  count: number;
  /** Calls strict mode stopped before they ran (they blocked nothing). */
  stopped: number;
  /** Time the loop was blocked by them, in all. */
  blockedMs: number;
  /** The longest single call. */
  maxMs: number;
  /** blockedMs / the calls that ran. */
  meanMs: number;
  /** 95th percentile of the calls that ran (nearest rank); see `p95Exact`. */
  p95Ms: number | null;
  /** true: every call was in a line of its own. false: estimated from aggregates (see docs/report.md). */
  p95Exact: boolean;
  /** Some counts are loopguard's estimates (sampling of a hot site above LOOPGUARD_SAMPLE_ABOVE). */
  sampled: boolean;
  handlers: HandlerCount[];
  shards: number[];
  processes: number;
  hint: string;
  docs: string;
  stack: string;
  firstTime: number;
  lastTime: number;
}

export interface StallSite {
  rank: number;
  /** The function that held the loop (`event-loop` without a stack). */
  api: string;
  site: Site | null;
  count: number;
  stalledMs: number;
  maxMs: number;
  thresholdMs: number;
  /** How the stack was read: captured, resumed, no-stack, with counts. */
  outcomes: Record<string, number>;
  handlers: HandlerCount[];
  shards: number[];
  processes: number;
  /**
   * What was at risk, added up over the stalls reported one by one (`individually` of `count`):
   * repeats come as aggregates, which repeat the first stall's atRisk rather than their own.
   */
  atRisk: {
    individually: number;
    heartbeatsMissed: number;
    /** Gateway connections (shards) that missed heartbeats. */
    heartbeatShards: number[];
    interactionsWaiting: number;
    interactionsLate: number;
  };
  hint: string;
  stack: string;
  firstTime: number;
  lastTime: number;
}

export interface BlockerTotal {
  api: string;
  site: Site | null;
  /** Blocked time before acknowledgements, over the interactions reported one by one. */
  durationMs: number;
  /** In how many of those interactions it blocked. */
  interactions: number;
}

export interface InteractionSite {
  rank: number;
  /** The acknowledging method (`interaction.reply`). */
  api: string;
  /** The line that acknowledged. */
  site: Site | null;
  /** Acknowledged after Discord's deadline: the user saw "The application did not respond". */
  late: number;
  /** Acknowledged in time, but after blocking calls delayed it. */
  delayed: number;
  /** Blocked time before the acknowledgements, in all. */
  blockedMs: number;
  /** The longest ack delay (handler start to acknowledgement) among interactions reported one by one. */
  maxAckDelayMs: number | null;
  deadlineMs: number;
  commands: { name: string; count: number }[];
  handlers: HandlerCount[];
  /** What blocked them, longest first, from the interactions reported one by one (aggregates repeat the first's). */
  blockers: BlockerTotal[];
  individually: number;
  shards: number[];
  processes: number;
  hint: string;
  firstTime: number;
  lastTime: number;
}

export interface TimelineBucket {
  /** Start, ms since the epoch. */
  time: number;
  blockedMs: number;
  stalledMs: number;
  calls: number;
}

export interface InputSummary {
  files: { path: string; lines: number; reports: number; skipped: number; error?: string }[];
  /** Arguments that named no file (a missing path, a pattern that matched nothing). */
  missing: string[];
  /** Files that could not be read (a folder, no permission). */
  unreadable: string[];
  emptyFiles: number;
  lines: number;
  reports: number;
  /** Lines skipped, by reason: a torn last line, not JSON, an unknown (newer) report type, fields missing or of the wrong type. */
  skipped: Record<SkipReason, number> & { total: number };
  /** Reports outside --since/--until or the handler filters. */
  filteredOut: number;
}

export interface ReportSummary {
  schema: typeof schema;
  generatedAt: string;
  inputs: InputSummary;
  filters: { since: string | null; until: string | null; sources: string[]; events: string[] };
  /** The first and last report time in what was kept (null when nothing was). */
  span: { first: number | null; last: number | null };
  totals: {
    calls: number;
    stopped: number;
    blockedMs: number;
    maxMs: number;
    sites: number;
    stalls: number;
    stalledMs: number;
    lateAcks: number;
    delayedAcks: number;
    processes: number;
    shards: number[];
  };
  sites: CallSite[];
  stalls: StallSite[];
  interactions: InteractionSite[];
  timeline: { bucketMs: number; buckets: TimelineBucket[] };
  failOn: { conditions: { expression: string; value: number; hit: boolean }[]; hit: boolean } | null;
}
