import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { Observation } from '../../report/types';
import { attr, durationBuckets, handlerAttribute, metric } from './names';

/*
 * Counters and a duration histogram keyed by API and handler event. Every call counts, also the
 * calls of hot sites whose stacks were not read, so the numbers are exact where reports sample.
 * Attributes stay few and bounded (API, kind, outcome, handler source and event): no ids.
 */

export interface Metrics {
  call(o: Observation): void;
}

export function createMetrics(meter: Meter): Metrics {
  const calls: Counter = meter.createCounter(metric.calls.name, { unit: metric.calls.unit, description: metric.calls.description });
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

  return {
    call(o) {
      const attributes: Attributes = { [attr.api]: o.api, [attr.kind]: o.kind, [attr.outcome]: o.outcome };
      if (o.handler !== undefined) {
        attributes[handlerAttribute('source')] = o.handler.source;
        attributes[handlerAttribute('event')] = o.handler.event;
      }
      if (o.type === 'interaction-ack') {
        acks.add(1, attributes);
        return;
      }
      if (o.type === 'stall') {
        stalls.add(1, attributes);
        stallDuration.record(o.durationMs / 1000, attributes);
        return;
      }
      calls.add(1, attributes);
      if (o.outcome === 'ran') duration.record(o.durationMs / 1000, attributes);
    },
  };
}
