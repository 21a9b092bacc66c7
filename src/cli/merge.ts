import type { BlockingCallReport, HandlerSummary, InteractionAckReport, Report, Site, StallReport } from '../core/reports';
import type { BlockerTotal, CallSite, HandlerCount, InteractionSite, StallSite, TimelineBucket } from './model';
import { Durations } from './percentile';

/*
 * Merges reports from any number of files, processes and shards into one row per call site.
 * loopguard keys its own aggregation by site *and* handler event; here a row is the line of code
 * (API, module and file:line:column), with the handler events it ran in listed, because the line
 * is what one fixes. Everything kept is per site, not per line, except the durations a percentile
 * needs (two numbers per line: see percentile.ts).
 */

export interface Filters {
  since?: number | undefined;
  until?: number | undefined;
  sources: readonly string[];
  events: readonly string[];
}

const siteText = (s: Site | null): string => (s === null ? '?' : `${s.file}:${s.line}:${s.column}`);

class Handlers {
  private readonly map = new Map<string, HandlerCount>();
  add(h: HandlerSummary | null, count: number): void {
    const source = h?.source ?? '';
    const event = h?.event ?? '';
    const key = `${source}\0${event}`;
    const entry = this.map.get(key);
    if (entry === undefined) this.map.set(key, { source, event, count });
    else entry.count += count;
  }
  list(): HandlerCount[] {
    return [...this.map.values()].sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.event.localeCompare(b.event));
  }
}

/** What every row keeps: where it ran (shards, processes) and when. */
class Spread {
  readonly handlers = new Handlers();
  readonly shards = new Set<number>();
  readonly pids = new Set<number>();
  first = Infinity;
  last = -Infinity;
  take(r: Report): void {
    this.handlers.add(r.handler, r.count);
    const shard = r.handler?.['shard'];
    if (typeof shard === 'number') this.shards.add(shard);
    this.pids.add(r.pid);
    if (r.time < this.first) this.first = r.time;
    if (r.time > this.last) this.last = r.time;
  }
  shardList(): number[] {
    return [...this.shards].sort((a, b) => a - b);
  }
}

interface CallRow {
  first: BlockingCallReport;
  spread: Spread;
  count: number;
  stopped: number;
  blockedMs: number;
  maxMs: number;
  sampled: boolean;
  durations: Durations;
}

interface StallRow {
  first: StallReport;
  spread: Spread;
  count: number;
  stalledMs: number;
  maxMs: number;
  thresholdMs: number;
  outcomes: Record<string, number>;
  individually: number;
  heartbeatsMissed: number;
  heartbeatShards: Set<number>;
  interactionsWaiting: number;
  interactionsLate: number;
}

interface AckRow {
  first: InteractionAckReport;
  spread: Spread;
  late: number;
  delayed: number;
  blockedMs: number;
  maxAckDelayMs: number | null;
  deadlineMs: number;
  commands: Map<string, number>;
  blockers: Map<string, BlockerTotal>;
  individually: number;
}

/** Timeline buckets start at 100 ms and widen as the span grows, so that memory stays bounded. */
const maxBuckets = 50_000;

export class Merger {
  readonly calls = new Map<string, CallRow>();
  readonly stalls = new Map<string, StallRow>();
  readonly acks = new Map<string, AckRow>();
  private buckets = new Map<number, TimelineBucket>();
  private bucketMs = 100;
  readonly pids = new Set<number>();
  readonly shards = new Set<number>();
  filteredOut = 0;
  first = Infinity;
  last = -Infinity;

  constructor(private readonly filters: Filters) {}

  /** Takes one report; returns false when the filters left it out. */
  take(r: Report): boolean {
    const f = this.filters;
    if ((f.since !== undefined && r.time < f.since) || (f.until !== undefined && r.time > f.until)
      || (f.sources.length > 0 && !f.sources.includes(r.handler?.source ?? ''))
      || (f.events.length > 0 && !f.events.includes(r.handler?.event ?? ''))) {
      this.filteredOut++;
      return false;
    }
    this.pids.add(r.pid);
    const shard = r.handler?.['shard'];
    if (typeof shard === 'number') this.shards.add(shard);
    if (r.time < this.first) this.first = r.time;
    if (r.time > this.last) this.last = r.time;
    if (r.type === 'blocking-call') this.takeCall(r);
    else if (r.type === 'stall') this.takeStall(r);
    else this.takeAck(r);
    return true;
  }

  private takeCall(r: BlockingCallReport): void {
    const key = `${r.api}\0${r.module ?? ''}\0${siteText(r.site)}`;
    let row = this.calls.get(key);
    if (row === undefined) {
      row = { first: r, spread: new Spread(), count: 0, stopped: 0, blockedMs: 0, maxMs: 0, sampled: false, durations: new Durations() };
      this.calls.set(key, row);
    }
    row.spread.take(r);
    row.count += r.count;
    if (r.outcome === 'thrown') {
      row.stopped += r.count;
    } else {
      row.blockedMs += r.durationMs;
      row.maxMs = Math.max(row.maxMs, r.maxDurationMs);
      row.durations.addLine(r.count, r.durationMs, r.maxDurationMs);
    }
    if (r.estimated === true) row.sampled = true;
    this.bucket(r.time, (b) => {
      b.calls += r.count;
      if (r.outcome === 'ran') b.blockedMs += r.durationMs;
    });
  }

  private takeStall(r: StallReport): void {
    const key = `${r.api}\0${siteText(r.site)}`;
    let row = this.stalls.get(key);
    if (row === undefined) {
      row = {
        first: r, spread: new Spread(), count: 0, stalledMs: 0, maxMs: 0, thresholdMs: r.thresholdMs, outcomes: {},
        individually: 0, heartbeatsMissed: 0, heartbeatShards: new Set(), interactionsWaiting: 0, interactionsLate: 0,
      };
      this.stalls.set(key, row);
    }
    row.spread.take(r);
    row.count += r.count;
    row.stalledMs += r.durationMs;
    row.maxMs = Math.max(row.maxMs, r.maxDurationMs);
    row.thresholdMs = Math.min(row.thresholdMs, r.thresholdMs);
    row.outcomes[r.outcome] = (row.outcomes[r.outcome] ?? 0) + r.count;
    // Only lines of one stall say what that stall put at risk (aggregates carry no atRisk; older
    // versions repeated their first stall's).
    if (!r.aggregate && r.atRisk !== undefined) {
      row.individually += r.count;
      for (const h of r.atRisk.heartbeats) {
        row.heartbeatsMissed += h.missed;
        if (h.missed > 0) row.heartbeatShards.add(h.shard);
      }
      row.interactionsWaiting += r.atRisk.interactions.length;
      row.interactionsLate += r.atRisk.interactions.filter((i) => i.late).length;
    }
    this.bucket(r.time, (b) => {
      b.stalledMs += r.durationMs;
    });
  }

  private takeAck(r: InteractionAckReport): void {
    const key = `${r.api}\0${siteText(r.site)}`;
    let row = this.acks.get(key);
    if (row === undefined) {
      row = {
        first: r, spread: new Spread(), late: 0, delayed: 0, blockedMs: 0, maxAckDelayMs: null, deadlineMs: r.deadlineMs,
        commands: new Map(), blockers: new Map(), individually: 0,
      };
      this.acks.set(key, row);
    }
    row.spread.take(r);
    if (r.outcome === 'late') row.late += r.count;
    else row.delayed += r.count;
    row.blockedMs += r.durationMs;
    const command = r.handler?.['commandName'];
    if (typeof command === 'string') row.commands.set(command, (row.commands.get(command) ?? 0) + r.count);
    // Like stalls: only a line of one interaction has its ackDelayMs and blockers.
    if (!r.aggregate && r.ackDelayMs !== undefined) {
      row.individually += r.count;
      row.maxAckDelayMs = Math.max(row.maxAckDelayMs ?? 0, r.ackDelayMs);
      for (const b of r.blockers ?? []) {
        const key = `${b.api}\0${siteText(b.site)}`;
        const total = row.blockers.get(key);
        if (total === undefined) row.blockers.set(key, { api: b.api, site: b.site, durationMs: b.durationMs, interactions: 1 });
        else {
          total.durationMs += b.durationMs;
          total.interactions++;
        }
      }
    }
  }

  private bucket(time: number, add: (b: TimelineBucket) => void): void {
    const start = Math.floor(time / this.bucketMs) * this.bucketMs;
    let b = this.buckets.get(start);
    if (b === undefined) {
      if (this.buckets.size >= maxBuckets) {
        this.widen();
        this.bucket(time, add);
        return;
      }
      this.buckets.set(start, b = { time: start, blockedMs: 0, stalledMs: 0, calls: 0 });
    }
    add(b);
  }

  private widen(): void {
    this.bucketMs *= 10;
    const old = this.buckets;
    this.buckets = new Map();
    for (const b of old.values()) {
      this.bucket(b.time, (n) => {
        n.blockedMs += b.blockedMs;
        n.stalledMs += b.stalledMs;
        n.calls += b.calls;
      });
    }
  }

  /** At most `count` buckets over the span, each a whole number of the kept buckets, empty ones included. */
  timeline(count = 120): { bucketMs: number; buckets: TimelineBucket[] } {
    if (this.buckets.size === 0) return { bucketMs: this.bucketMs, buckets: [] };
    const starts = [...this.buckets.keys()];
    const from = Math.min(...starts);
    const to = Math.max(...starts) + this.bucketMs;
    const steps = Math.max(1, Math.ceil((to - from) / this.bucketMs / count));
    const width = steps * this.bucketMs;
    const out: TimelineBucket[] = [];
    for (let t = from; t < to; t += width) out.push({ time: t, blockedMs: 0, stalledMs: 0, calls: 0 });
    for (const b of this.buckets.values()) {
      const o = out[Math.floor((b.time - from) / width)]!;
      o.blockedMs += b.blockedMs;
      o.stalledMs += b.stalledMs;
      o.calls += b.calls;
    }
    return { bucketMs: width, buckets: out };
  }

  callSites(): CallSite[] {
    const rows = [...this.calls.values()].sort((a, b) => b.blockedMs - a.blockedMs || b.count - a.count
      || siteText(a.first.site).localeCompare(siteText(b.first.site)) || a.first.api.localeCompare(b.first.api));
    return rows.map((row, i) => {
      const r = row.first;
      const ran = row.count - row.stopped;
      const site: CallSite = {
        rank: i + 1, api: r.api, kind: r.kind, site: r.site,
        count: row.count, stopped: row.stopped, blockedMs: row.blockedMs, maxMs: row.maxMs,
        meanMs: ran > 0 ? row.blockedMs / ran : 0,
        p95Ms: row.durations.quantile(0.95) ?? null, p95Exact: row.durations.exact,
        sampled: row.sampled, handlers: row.spread.handlers.list(), shards: row.spread.shardList(), processes: row.spread.pids.size,
        hint: r.hint, docs: r.docs, stack: r.stack, firstTime: row.spread.first, lastTime: row.spread.last,
      };
      if (r.via !== undefined) site.via = r.via;
      if (r.module !== undefined) site.module = r.module;
      return site;
    });
  }

  stallSites(): StallSite[] {
    const rows = [...this.stalls.values()].sort((a, b) => b.stalledMs - a.stalledMs || b.count - a.count
      || siteText(a.first.site).localeCompare(siteText(b.first.site)));
    return rows.map((row, i) => ({
      rank: i + 1, api: row.first.api, site: row.first.site, count: row.count, stalledMs: row.stalledMs, maxMs: row.maxMs,
      thresholdMs: row.thresholdMs, outcomes: row.outcomes, handlers: row.spread.handlers.list(), shards: row.spread.shardList(),
      processes: row.spread.pids.size,
      atRisk: {
        individually: row.individually, heartbeatsMissed: row.heartbeatsMissed,
        heartbeatShards: [...row.heartbeatShards].sort((a, b) => a - b),
        interactionsWaiting: row.interactionsWaiting, interactionsLate: row.interactionsLate,
      },
      hint: row.first.hint, stack: row.first.stack, firstTime: row.spread.first, lastTime: row.spread.last,
    }));
  }

  interactionSites(): InteractionSite[] {
    const rows = [...this.acks.values()].sort((a, b) => b.late - a.late || b.blockedMs - a.blockedMs
      || siteText(a.first.site).localeCompare(siteText(b.first.site)));
    return rows.map((row, i) => ({
      rank: i + 1, api: row.first.api, site: row.first.site, late: row.late, delayed: row.delayed, blockedMs: row.blockedMs,
      maxAckDelayMs: row.maxAckDelayMs, deadlineMs: row.deadlineMs,
      commands: [...row.commands].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
      handlers: row.spread.handlers.list(),
      blockers: [...row.blockers.values()].sort((a, b) => b.durationMs - a.durationMs || a.api.localeCompare(b.api)),
      individually: row.individually, shards: row.spread.shardList(), processes: row.spread.pids.size,
      hint: row.first.hint, firstTime: row.spread.first, lastTime: row.spread.last,
    }));
  }
}
