import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { HandlerContext } from '../../core/context';
import type { Observation, UnsampledCall } from '../../core/reports';
import { attr, durationBuckets, handlerAttribute, metric } from './names';

/*
 * Counters and duration histograms keyed by API and handler event. Attributes stay few and
 * bounded (API, kind, outcome, handler source and event): no ids.
 *
 * The call counter counts every call, also the calls at hot sites whose stacks were not read, so
 * it is exact where reports sample. It is an observable counter over totals kept here: the SDK
 * hashes a measurement's attributes on every `add`, which at thousands of calls a second costs
 * more than the call. The duration histogram records the calls whose stacks were read: every
 * call below LOOPGUARD_SAMPLE_ABOVE, a random sample of a hot site's calls above it.
 */

export interface Metrics {
  call(o: Observation): void;
  /** A call counted without its stack: one more in its total, nothing made. */
  unsampled(u: UnsampledCall): void;
}

/** What a call's series is keyed by. */
type Counted = Pick<Observation, 'api' | 'kind' | 'outcome'> & { readonly handler: HandlerContext | undefined };

/**
 * Past this many attribute sets, totals are kept without the handler's source and event. Below
 * the SDK's default cardinality limit (2000 per instrument), which would fold the overflow into
 * one series without even the API.
 */
const seriesCap = 1000;

interface Series {
  attributes: Attributes;
  value: number;
}

/** Totals by handler kind, API and outcome: keyed by strings the call already has, none built per call. */
type Totals = Map<string, Map<string, Map<string, Series>>>;

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, value = make());
  return value;
}

export function createMetrics(meter: Meter): Metrics {
  const totals: Totals = new Map();
  let series = 0;
  meter.createObservableCounter(metric.calls.name, { unit: metric.calls.unit, description: metric.calls.description })
    .addCallback((result: ObservableResult) => {
      for (const byApi of totals.values()) {
        for (const byOutcome of byApi.values()) for (const t of byOutcome.values()) result.observe(t.value, t.attributes);
      }
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

  function attributesOf(o: Counted, withHandler: boolean): Attributes {
    const attributes: Attributes = { [attr.api]: o.api, [attr.kind]: o.kind, [attr.outcome]: o.outcome };
    if (withHandler && o.handler !== undefined) {
      attributes[handlerAttribute('source')] = o.handler.source;
      attributes[handlerAttribute('event')] = o.handler.event;
    }
    return attributes;
  }

  /** A new series; past the cap, without the handler (under kind ''). */
  function seriesOf(o: Counted, withHandler: boolean): Series {
    const kind = withHandler && o.handler !== undefined ? o.handler.kind : '';
    const byOutcome = child(child(totals, kind, () => new Map()), o.api, () => new Map());
    let total = byOutcome.get(o.outcome);
    if (total === undefined) {
      series++;
      byOutcome.set(o.outcome, total = { attributes: attributesOf(o, kind !== ''), value: 0 });
    }
    return total;
  }

  function count(o: Counted): void {
    const h = o.handler;
    const total = (h === undefined ? undefined : totals.get(h.kind)?.get(o.api)?.get(o.outcome)) ?? seriesOf(o, series < seriesCap);
    total.value++;
  }

  /** An unsampled call as a Counted, without a new object: it ran (a stopped call always reads its stack). */
  const ran = { api: '', kind: 'file-system', outcome: 'ran', handler: undefined } as { -readonly [K in keyof Counted]: Counted[K] };

  return {
    unsampled(u) {
      ran.api = u.api;
      ran.kind = u.kind;
      ran.handler = u.handler;
      count(ran);
      ran.handler = undefined; // not kept past the call
    },
    call(o) {
      if (o.type === 'interaction-ack') {
        acks.add(1, attributesOf(o, true));
      } else if (o.type === 'stall') {
        const attributes = attributesOf(o, true);
        stalls.add(1, attributes);
        stallDuration.record(o.durationMs / 1000, attributes);
      } else {
        count(o);
        if (!o.sampled && o.outcome === 'ran') duration.record(o.durationMs / 1000, attributesOf(o, true));
      }
    },
  };
}
