import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { Observation, SiteTotal, SiteTotals } from '../../core/reports';
import { attr, durationBuckets, handlerAttribute, metric } from './names';

/*
 * Counters and duration histograms keyed by API and handler event. Attributes stay few and
 * bounded (API, kind, outcome, handler source and event): no ids.
 *
 * The call counter counts every call, also the calls at hot sites whose stacks were not read, so
 * it is exact where reports sample. It is an observable counter over the totals the dispatcher
 * keeps per site anyway, read when the SDK exports it: nothing is done per call for it (counted
 * per call, every call had to be timed and given to the sink; in the flood's bot about 1 µs a
 * message). The duration histogram records the calls whose stacks were read: every call below
 * LOOPGUARD_SAMPLE_ABOVE, a random sample of a hot site's calls above it.
 */

export interface Metrics {
  call(o: Observation): void;
}

/**
 * Past this many attribute sets, calls are counted without the handler's source and event. Below
 * the SDK's default cardinality limit (2000 per instrument), which would fold the overflow into
 * one series without even the API. Sites are read oldest first, so a series keeps its attributes
 * from one export to the next.
 */
const seriesCap = 1000;

interface Series {
  readonly attributes: Attributes;
  value: number;
}

/** `totals`: the runtime's calls so far, by site (the dispatcher's, given to the sink when added). */
export function createMetrics(meter: Meter, totals: SiteTotals): Metrics {
  meter.createObservableCounter(metric.calls.name, { unit: metric.calls.unit, description: metric.calls.description })
    .addCallback((result: ObservableResult) => {
      for (const { attributes, value } of callSeries(totals())) result.observe(value, attributes);
    });
  const duration: Histogram = meter.createHistogram(metric.duration.name, {
    unit: metric.duration.unit,
    description: metric.duration.description,
    advice: { explicitBucketBoundaries: durationBuckets },
  });
  const acks: Counter = meter.createCounter(metric.acks.name, { unit: metric.acks.unit, description: metric.acks.description });
  const stalls: Counter = meter.createCounter(metric.stalls.name, { unit: metric.stalls.unit, description: metric.stalls.description });
  const stallDuration: Histogram = meter.createHistogram(metric.stallDuration.name, {
    unit: metric.stallDuration.unit,
    description: metric.stallDuration.description,
    advice: { explicitBucketBoundaries: durationBuckets },
  });

  function attributesOf(o: Observation): Attributes {
    return seriesAttributes(o.api, o.kind, o.outcome, o.handler);
  }

  return {
    call(o) {
      if (o.type === 'interaction-ack') {
        acks.add(1, attributesOf(o));
      } else if (o.type === 'stall') {
        const attributes = attributesOf(o);
        stalls.add(1, attributes);
        stallDuration.record(o.durationMs / 1000, attributes);
      } else if (!o.sampled && o.outcome === 'ran') {
        duration.record(o.durationMs / 1000, attributesOf(o));
      }
    },
  };
}

function seriesAttributes(api: string, kind: string, outcome: string, handler: { source: string; event: string } | null | undefined): Attributes {
  const attributes: Attributes = { [attr.api]: api, [attr.kind]: kind, [attr.outcome]: outcome };
  if (handler) {
    attributes[handlerAttribute('source')] = handler.source;
    attributes[handlerAttribute('event')] = handler.event;
  }
  return attributes;
}

/** The blocking calls counted so far by API, kind, outcome and handler event (past the cap, without the handler). */
function callSeries(sites: readonly SiteTotal[]): Iterable<Series> {
  const series = new Map<string, Series>();
  for (const { report: r, count } of sites) {
    if (r.type === 'interaction-ack' || r.type === 'stall') continue;
    const call = `${r.api}\0${r.kind}\0${r.outcome}`;
    const withHandler = r.handler === null ? call : `${call}\0${r.handler.source}\0${r.handler.event}`;
    let total = series.get(withHandler);
    if (total === undefined) {
      const key = series.size < seriesCap ? withHandler : call;
      total = series.get(key);
      if (total === undefined) series.set(key, total = { attributes: seriesAttributes(r.api, r.kind, r.outcome, key === call ? null : r.handler), value: 0 });
    }
    total.value += count;
  }
  return series.values();
}
