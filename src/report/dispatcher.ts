import type { ApiEntry } from '../apis/types';
import { handlerStorage, type HandlerContext } from '../context';
import type { Callers, Site } from '../guard/callers';
import { stackOf } from '../guard/callers';
import { observeHandlers } from '../handlers/lifecycle';
import { docsFor } from './docs';
import type { Pair } from './sampling';
import type { HandlerSummary, Observation, Report, Sink, SiteTotal, Summary } from './types';

/** One blocking call (or another reportable event) as the guard saw it. */
export interface Occurrence {
  /** Default `blocking-call`. */
  type?: Report['type'];
  api: string;
  kind: Report['kind'];
  hint: string;
  module?: string;
  /** What the arguments may show (a child process' program name). */
  detail?: string;
  /** The packages the blocking went through, when the table knows better than the stack. */
  via?: string;
  outcome: Report['outcome'];
  durationMs: number;
  time: number;
  handler: HandlerContext | undefined;
  callers: Callers;
  /** Fields of the report's type beyond the common ones. */
  extra?: Record<string, unknown>;
  /** The sampling pair of a blocking call: calls it counted without a stack are attributed here. */
  pair?: Pair;
}

interface SiteRecord extends SiteTotal {
  pendingCount: number;
  pendingMs: number;
  pendingMax: number;
  pendingTime: number;
  pendingEstimated: boolean;
}

/*
 * What `observe` sinks get, made for every call they see (also hot, sampled ones): one class, its
 * fields in one order, the stack and the docs link made only when asked.
 */
class Observed implements Observation {
  constructor(
    readonly type: Report['type'],
    readonly api: string,
    readonly kind: Report['kind'],
    readonly outcome: string,
    readonly durationMs: number,
    readonly time: number,
    readonly handler: HandlerContext | undefined,
    readonly sampled: boolean,
    readonly site: Site | undefined,
    readonly via: string | undefined,
    readonly module: string | undefined,
    readonly detail: string | undefined,
    readonly hint: string,
    readonly extra: Readonly<Record<string, unknown>> | undefined,
    private readonly callers: Callers | undefined,
  ) {}

  get docs(): string {
    return docsFor(this.kind);
  }

  stack(): string {
    return this.callers === undefined ? '' : stackOf(this.callers);
  }
}

function observationOf(o: Occurrence): Observation {
  const { site, via } = o.callers;
  return new Observed(o.type ?? 'blocking-call', o.api, o.kind, o.outcome, o.durationMs, o.time, o.handler, false,
    site, via, o.module, o.detail, o.hint, o.extra, o.callers);
}

function sampledObservation(entry: ApiEntry, durationMs: number, time: number, handler: HandlerContext | undefined): Observation {
  return new Observed('blocking-call', entry.api, entry.kind, 'ran', durationMs, time, handler, true,
    undefined, undefined, undefined, undefined, entry.alternative, undefined, undefined);
}

export const siteCap = 5000;
const flushEveryMs = 10_000;

function summarizeHandler(handler: HandlerContext | undefined): HandlerSummary | null {
  if (handler === undefined) return null;
  return { ...handler.attributes, source: handler.source, event: handler.event };
}

function keyOf(o: Occurrence): string {
  const s = o.callers.site;
  const at = s === undefined ? '?' : `${s.file}:${s.line}:${s.column}`;
  const h = o.handler;
  return `${o.type ?? ''}\0${o.api}\0${o.module ?? ''}\0${at}\0${h?.source ?? ''}\0${h?.event ?? ''}\0${o.outcome}`;
}

/**
 * Turns occurrences into reports: the first call at a site is reported at once, with its stack;
 * repeats are counted (no stack formatting) and reported as aggregates every few seconds and at exit.
 */
export class Dispatcher {
  private readonly sinks: Sink[] = [];
  /** The sinks that want every call (`observe`). */
  private readonly observing: Sink[] = [];
  private readonly observers: ((o: Occurrence) => void)[] = [];
  private readonly sites = new Map<string, SiteRecord>();
  private pending = new Set<SiteRecord>();
  /** Sampling pairs holding calls not yet attributed to a site. */
  private carrying = new Set<Pair>();
  private timer: NodeJS.Timeout | undefined;
  private calls = 0;
  private stopped = 0;
  private blockedMs = 0;
  private overflowCalls = 0;
  private internalErrors = 0;
  private closed = false;

  addSink(sink: Sink): () => void {
    this.sinks.push(sink);
    if (sink.observe !== undefined) this.observing.push(sink);
    const unobserve = sink.handlers === undefined ? undefined : observeHandlers(sink.handlers, (error, where) => this.countError(error, `${where} (${sink.name})`));
    return () => {
      unobserve?.();
      for (const list of [this.sinks, this.observing]) {
        const at = list.indexOf(sink);
        if (at >= 0) list.splice(at, 1);
      }
    };
  }

  /** Sees every occurrence (also repeats), before aggregation. Returns a function that stops it. */
  observe(fn: (o: Occurrence) => void): () => void {
    this.observers.push(fn);
    return () => {
      const at = this.observers.indexOf(fn);
      if (at >= 0) this.observers.splice(at, 1);
    };
  }

  /** Where the first failure inside loopguard is explained (loopguard's stderr warnings). */
  warn: (text: string) => void = () => {};

  /** Counts a failure inside loopguard; the first one is explained once on stderr (unless `explain` is false: said already). */
  countError(error: unknown, where: string, explain = true): void {
    this.internalErrors++;
    if (this.internalErrors === 1 && explain) {
      const text = error instanceof Error ? error.message : String(error);
      this.warn(`${where} failed (${text}); further failures are only counted`);
    }
  }

  /**
   * A blocking call whose stack was not read (a hot pair, see sampling.ts). It goes where the
   * pair's next sampled call goes: a site, or nowhere if that call is not reported (allowed).
   */
  sampledOut(pair: Pair, entry: ApiEntry, durationMs: number, time: number, handler: HandlerContext | undefined): void {
    if (this.observing.length > 0) this.tell(sampledObservation(entry, durationMs, time, handler));
    pair.carryCount++;
    pair.carryMs += durationMs;
    if (durationMs > pair.carryMax) pair.carryMax = durationMs;
    this.carrying.add(pair);
    this.schedule();
  }

  /** Records a call and returns the report of its site (the first call's, for a known site). */
  record(o: Occurrence): Report {
    for (const observe of this.observers) observe(o);
    if (this.observing.length > 0) this.tell(observationOf(o));
    if (o.type === undefined || o.type === 'blocking-call') {
      this.calls++;
      if (o.outcome === 'thrown') this.stopped++;
      this.blockedMs += o.durationMs;
    }
    const key = keyOf(o);
    let rec = this.sites.get(key);
    if (rec !== undefined) {
      this.addPending(rec, 1, o.durationMs, o.durationMs, o.time);
    } else {
      if (this.sites.size >= siteCap) {
        // Past the cap: counted, not reported, and no stack formatted for it.
        this.overflowCalls++;
        return this.build(o, false);
      }
      const report = this.build(o);
      rec = {
        report, count: 1, blockedMs: o.durationMs, maxMs: o.durationMs, estimated: false,
        pendingCount: 0, pendingMs: 0, pendingMax: 0, pendingTime: 0, pendingEstimated: false,
      };
      this.sites.set(key, rec);
      this.deliver(report);
    }
    if (o.pair !== undefined) {
      this.absorb(o.pair, rec);
      o.pair.last = rec;
    }
    return rec.report;
  }

  private addPending(rec: SiteRecord, count: number, ms: number, max: number, time: number): void {
    rec.count += count;
    rec.blockedMs += ms;
    if (max > rec.maxMs) rec.maxMs = max;
    if (rec.pendingCount === 0) rec.pendingTime = time;
    rec.pendingCount += count;
    rec.pendingMs += ms;
    if (max > rec.pendingMax) rec.pendingMax = max;
    this.pending.add(rec);
    this.schedule();
  }

  /** A sampled call of the pair was not reported (allowed site, ignored load): so are the calls it stands for. */
  discard(pair: Pair): void {
    pair.carryCount = pair.carryMs = pair.carryMax = 0;
    pair.last = undefined;
    this.carrying.delete(pair);
  }

  /** Moves a pair's sampled-out calls to a site. */
  private absorb(pair: Pair, rec: SiteRecord): void {
    if (pair.carryCount === 0) return;
    this.calls += pair.carryCount;
    this.blockedMs += pair.carryMs;
    this.addPending(rec, pair.carryCount, pair.carryMs, pair.carryMax, Date.now());
    rec.estimated = rec.pendingEstimated = true;
    pair.carryCount = pair.carryMs = pair.carryMax = 0;
    this.carrying.delete(pair);
  }

  private build(o: Occurrence, withStack = true): Report {
    const { site } = o.callers;
    const via = o.via ?? o.callers.via;
    const report = {
      type: o.type ?? 'blocking-call',
      api: o.api,
      kind: o.kind,
      outcome: o.outcome,
      durationMs: o.durationMs,
      maxDurationMs: o.durationMs,
      count: 1,
      aggregate: false,
      time: o.time,
      handler: summarizeHandler(o.handler),
      site: site ?? null,
      stack: withStack ? stackOf(o.callers) : '',
      hint: o.hint,
      docs: docsFor(o.kind),
      pid: process.pid,
      ...o.extra,
    } as Report;
    if (via !== undefined) report.via = via;
    if (o.module !== undefined) report.module = o.module;
    if (o.detail !== undefined) report.detail = o.detail;
    return report;
  }

  private tell(observation: Observation): void {
    for (const sink of this.observing) {
      try {
        sink.observe?.(observation);
      } catch (error) {
        this.countError(error, `the ${sink.name} sink`);
      }
    }
  }

  private deliver(report: Report): void {
    for (const sink of this.sinks) {
      try {
        sink.write(report);
      } catch (error) {
        this.countError(error, `the ${sink.name} sink`);
      }
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    // Outside any handler context, so the flush is never judged as part of a handler.
    this.timer = handlerStorage.exit(() => setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, flushEveryMs).unref());
  }

  /** Reports the repeats counted since the last flush, one aggregate per site. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const pair of this.carrying) {
      if (pair.last !== undefined) this.absorb(pair, pair.last as SiteRecord);
      else this.discard(pair);
    }
    this.carrying.clear();
    const records = this.pending;
    this.pending = new Set();
    for (const r of records) {
      const aggregate: Report = {
        ...r.report,
        count: r.pendingCount,
        aggregate: true,
        ...(r.pendingEstimated ? { estimated: true } : {}),
        durationMs: r.pendingMs,
        maxDurationMs: r.pendingMax,
        time: r.pendingTime,
      };
      r.pendingCount = r.pendingMs = r.pendingMax = r.pendingTime = 0;
      r.pendingEstimated = false;
      this.deliver(aggregate);
    }
  }

  summary(): Summary {
    const sites = [...this.sites.values()]
      .map(({ report, count, blockedMs, maxMs, estimated }) => ({ report, count, blockedMs, maxMs, estimated }))
      .sort((a, b) => b.blockedMs - a.blockedMs || b.count - a.count);
    return {
      calls: this.calls,
      stopped: this.stopped,
      blockedMs: this.blockedMs,
      sites,
      overflowCalls: this.overflowCalls,
      internalErrors: this.internalErrors,
    };
  }

  /** Flushes and closes every sink (at exit or uninstall). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const summary = this.summary();
    for (const sink of this.sinks) {
      try {
        sink.close?.(summary);
      } catch (error) {
        this.countError(error, `closing the ${sink.name} sink`);
      }
    }
  }
}
