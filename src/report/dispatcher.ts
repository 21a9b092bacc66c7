import type { Bus } from '../core/bus';
import type { Callers, Site } from '../core/call-sites';
import { stackOf } from '../core/call-sites';
import { epochNow } from '../core/clock';
import { outsideHandlers, type HandlerContext } from '../core/context';
import type { Occurrence, UnsampledCall } from '../core/occurrence';
import type { HandlerObserver, Observation, Report, Sink, SiteTotal, Summary } from '../core/reports';
import { sawSite, type SamplingState } from '../core/sampling';
import { reportOf } from './build';
import { docsFor } from './docs';
import { partAttributes } from './phrases';

/*
 * Turns what the bus carries into reports: the first call at a site is reported at once, with its
 * stack; repeats are counted (no stack formatting) and reported as aggregates every few seconds
 * and at exit. Sinks run outside any handler context: what they do themselves (a callback's own
 * file write) is never judged as the handler's.
 */

interface SiteRecord extends SiteTotal {
  pendingCount: number;
  pendingMs: number;
  pendingMax: number;
  pendingTime: number;
  pendingEstimated: boolean;
  /** When its last report went out (stopped calls are told at once, at most once a second per site). */
  deliveredAt: number;
}

/** Strict mode's stops at a known site are told at most this often (the rest are counted in the next line). */
const stopsEveryMs = 1000;

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

export function observationOf(o: Occurrence): Observation {
  const { site, via } = o.callers;
  return new Observed(o.type ?? 'blocking-call', o.api, o.kind, o.outcome, o.durationMs, o.time, o.handler, false,
    site, o.via ?? via, o.module, o.detail, o.hint, o.extra, o.callers);
}

export function unsampledObservation(u: UnsampledCall): Observation {
  return new Observed('blocking-call', u.api, u.kind, 'ran', u.durationMs, u.time, u.handler, true,
    undefined, undefined, undefined, undefined, u.hint, undefined, undefined);
}

/*
 * What a site's aggregate repeats of its first report: what is the site's (the call, the line, the
 * handler's source and event, the framework's part), not what was one event's (its ids, a stall's capture and risks, an
 * acknowledgement's delay and blockers).
 */
const perEvent = new Set(['atRisk', 'captureDelayMs', 'cpuWaitMs', 'stackUnavailable', 'ackDelayMs', 'blockers']);

function aggregateBase(report: Report): Report {
  const base: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(report)) if (!perEvent.has(key)) base[key] = value;
  const handler = report.handler;
  if (handler === null) base['handler'] = null;
  else {
    const kept: Record<string, unknown> = { source: handler.source, event: handler.event };
    // A framework's part (command, listener) is the line's, not one event's.
    for (const key of partAttributes) if (handler[key] !== undefined) kept[key] = handler[key];
    base['handler'] = kept;
  }
  return base as unknown as Report;
}

export const siteCap = 5000;
const flushEveryMs = 10_000;

/**
 * A site: the call, the line, the handler's kind, and for blocking calls whether they ran or were
 * stopped. A stall's outcome only says how its stack was read: the same stuck line is one site.
 */
function keyOf(o: Occurrence): string {
  const s = o.callers.site;
  const at = s === undefined ? '?' : `${s.file}:${s.line}:${s.column}`;
  const h = o.handler;
  const outcome = o.type === 'stall' ? '' : o.outcome;
  return `${o.type ?? ''}\0${o.api}\0${o.module ?? ''}\0${at}\0${h?.source ?? ''}\0${h?.event ?? ''}\0${outcome}`;
}

/** Whether `sink` wants every call now (`observe`). */
function observes(sink: Sink): boolean {
  return sink.observing?.() ?? true;
}

/** Whether `sink` takes an unsampled call now (`counting`, by default `observing`): through `count` when it has it, else `observe`. */
export function takesUnsampled(sink: Sink): boolean {
  return sink.counting?.() ?? observes(sink);
}

export class Dispatcher {
  private readonly sinks: Sink[] = [];
  /** The sinks that want every call (`observe`). */
  private readonly observing: Sink[] = [];
  private readonly sites = new Map<string, SiteRecord>();
  private pending = new Set<SiteRecord>();
  /** Sampling states holding unsampled calls not yet given to a site. */
  private waiting = new Set<SamplingState>();
  private timer: NodeJS.Timeout | undefined;
  private calls = 0;
  private stopped = 0;
  private blockedMs = 0;
  private overflowCalls = 0;
  private internalErrors = 0;
  private closed = false;
  private readonly unsubscribe: (() => void)[];

  /** Takes what `bus` carries from now on (until `close()`). */
  constructor(private readonly bus: Bus) {
    this.unsubscribe = [
      bus.occurrences.add((o) => this.record(o)),
      bus.unsampled.add((u) => this.tellUnsampled(u), () => this.anyObserving(takesUnsampled)),
      bus.waiting.add((s) => {
        this.waiting.add(s);
        this.schedule();
      }),
      bus.discarded.add((s) => this.discard(s)),
      bus.failures.add((f) => this.countFailure(f.error, f.where, f.said !== true)),
    ];
  }

  addSink(sink: Sink): () => void {
    this.sinks.push(sink);
    if (sink.observe !== undefined) this.observing.push(sink);
    // Once the sink is removed, its totals stay those of that moment (a cumulative counter must not go back or on).
    let removedWith: SiteTotal[] | undefined;
    try {
      sink.added?.(() => removedWith ?? this.totals());
    } catch (error) {
      this.countFailure(error, `adding the ${sink.name} sink`);
    }
    const unobserve = sink.handlers === undefined ? undefined : this.follow(sink.name, sink.handlers);
    return () => {
      if (sink.added !== undefined) removedWith ??= this.totals();
      unobserve?.();
      for (const list of [this.sinks, this.observing]) {
        const at = list.indexOf(sink);
        if (at >= 0) list.splice(at, 1);
      }
    };
  }

  /** Follows handlers with `observer` (of the sink named `name`, for its failures) until the returned undo. */
  follow(name: string, observer: HandlerObserver): () => void {
    return this.bus.handlerObservers.add({ observer, onError: (error, where) => this.countFailure(error, `${where} (${name})`) });
  }

  /** Counts a failure inside loopguard; the first one is explained once on stderr (unless `explain` is false: said already). */
  private countFailure(error: unknown, where: string, explain = true): void {
    this.internalErrors++;
    if (this.internalErrors === 1 && explain) {
      const text = error instanceof Error ? error.message : String(error);
      this.bus.warn(`${where} failed (${text}); further failures are only counted`);
    }
  }

  /**
   * Whether one of the observing sinks passes `test` now: follows every call (an OpenTelemetry
   * sink with no SDK registered does not), or takes the unsampled ones. Asked per call.
   */
  private anyObserving(test: (sink: Sink) => boolean): boolean {
    const sinks = this.observing;
    for (let i = 0; i < sinks.length; i++) if (test(sinks[i] as Sink)) return true;
    return false;
  }

  /** Records a call: a report for a new site, a count for a known one. */
  private record(o: Occurrence): void {
    if (this.anyObserving(observes)) this.tell(observationOf(o));
    if (o.type === undefined || o.type === 'blocking-call') {
      this.calls++;
      if (o.outcome === 'thrown') this.stopped++;
      this.blockedMs += o.durationMs;
    }
    const key = keyOf(o);
    let rec = this.sites.get(key);
    if (rec !== undefined) {
      this.addPending(rec, 1, o.durationMs, o.durationMs, o.time);
      // A stop is something the developer is waiting for: told now, not in ten seconds.
      if (o.outcome === 'thrown' && o.time - rec.deliveredAt >= stopsEveryMs) {
        this.pending.delete(rec);
        this.deliverAggregate(rec);
      }
    } else {
      if (this.sites.size >= siteCap) {
        // Past the cap: counted, not reported, and no stack formatted for it.
        this.overflowCalls++;
        return;
      }
      const report = reportOf(o);
      rec = {
        report, count: 1, blockedMs: o.durationMs, maxMs: o.durationMs, estimated: false,
        pendingCount: 0, pendingMs: 0, pendingMax: 0, pendingTime: 0, pendingEstimated: false, deliveredAt: o.time,
      };
      this.sites.set(key, rec);
      this.deliver(report);
    }
    if (o.sampling !== undefined) {
      this.absorb(o.sampling, rec);
      sawSite(o.sampling, rec);
    }
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

  /** A sampled call was not reported (allowed site, ignored load): neither are the calls it stands for. */
  private discard(s: SamplingState): void {
    s.unsampledCount = s.unsampledMs = s.unsampledMax = 0;
    sawSite(s, undefined);
    this.waiting.delete(s);
  }

  /** Gives a sampling state's unsampled calls to a site. */
  private absorb(s: SamplingState, rec: SiteRecord): void {
    if (s.unsampledCount === 0) return;
    this.calls += s.unsampledCount;
    this.blockedMs += s.unsampledMs;
    this.addPending(rec, s.unsampledCount, s.unsampledMs, s.unsampledMax, epochNow());
    rec.estimated = rec.pendingEstimated = true;
    s.unsampledCount = s.unsampledMs = s.unsampledMax = 0;
    this.waiting.delete(s);
  }

  private tell(observation: Observation): void {
    outsideHandlers(() => {
      for (const sink of this.observing) {
        try {
          if (observes(sink)) sink.observe?.(observation);
        } catch (error) {
          this.countFailure(error, `the ${sink.name} sink`);
        }
      }
    });
  }

  /** An unsampled call: counted in place by the sinks that can, observed (outside handlers) by the others. */
  private tellUnsampled(u: UnsampledCall): void {
    let observation: Observation | undefined;
    for (const sink of this.observing) {
      try {
        if (!takesUnsampled(sink)) continue;
        if (sink.count !== undefined) sink.count(u);
        else outsideHandlers(() => sink.observe?.(observation ??= unsampledObservation(u)));
      } catch (error) {
        this.countFailure(error, `the ${sink.name} sink`);
      }
    }
  }

  private deliver(report: Report): void {
    outsideHandlers(() => {
      for (const sink of this.sinks) {
        try {
          sink.write(report);
        } catch (error) {
          this.countFailure(error, `the ${sink.name} sink`);
        }
      }
    });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    // Outside any handler context, so the flush is never judged as part of a handler.
    this.timer = outsideHandlers(() => setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, flushEveryMs).unref());
  }

  /** Gives the unsampled calls waiting in sampling states to the sites of their last reads. */
  private settleWaiting(): void {
    for (const s of this.waiting) {
      if (s.lastSite !== undefined) this.absorb(s, s.lastSite as SiteRecord);
      else this.discard(s);
    }
    this.waiting.clear();
  }

  /** Every site's calls so far, the unsampled ones waiting included (a sink's `totals`). */
  private totals(): SiteTotal[] {
    this.settleWaiting();
    return this.siteTotals();
  }

  private siteTotals(): SiteTotal[] {
    return [...this.sites.values()].map(({ report, count, blockedMs, maxMs, estimated }) => ({ report, count, blockedMs, maxMs, estimated }));
  }

  /** Reports the repeats counted since the last flush, one aggregate per site. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.settleWaiting();
    const records = this.pending;
    this.pending = new Set();
    for (const r of records) this.deliverAggregate(r);
  }

  /** The repeats counted at a site since its last report, as one aggregate. */
  private deliverAggregate(r: SiteRecord): void {
    const aggregate: Report = {
      ...aggregateBase(r.report),
      count: r.pendingCount,
      aggregate: true,
      ...(r.pendingEstimated ? { estimated: true } : {}),
      durationMs: r.pendingMs,
      maxDurationMs: r.pendingMax,
      time: r.pendingTime,
    };
    r.pendingCount = r.pendingMs = r.pendingMax = r.pendingTime = 0;
    r.pendingEstimated = false;
    r.deliveredAt = Date.now();
    this.deliver(aggregate);
  }

  summary(): Summary {
    const sites = this.siteTotals()
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

  /** Flushes, closes every sink (at exit or uninstall) and takes nothing more from the bus. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const stop of this.unsubscribe) stop();
    const summary = this.summary();
    outsideHandlers(() => {
      for (const sink of this.sinks) {
        try {
          sink.close?.(summary);
        } catch (error) {
          this.countFailure(error, `closing the ${sink.name} sink`);
        }
      }
    });
  }
}
