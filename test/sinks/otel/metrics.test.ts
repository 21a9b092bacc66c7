import * as fs from 'node:fs';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { configure, runInHandler, type Observation, type Report, type SiteTotal, type Sink } from '../../../src/index';
import { otelSink } from '../../../src/otel';
import { metricNames } from '../../../src/otel';
import { newHandlerContext } from '../../../src/core/context';
import { Scratch } from '../../support/scratch';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { CollectingReader, guardWithSdk } from './support';

/* Metrics through the real metrics SDK, read by a real MetricReader. */

const scratch = new Scratch();
const file = scratch.file('db.json', '{}');
const guarded = guardWithSdk();
afterAll(() => scratch.remove());

const key = (attributes: Record<string, unknown>) => `${String(attributes['loopguard.api'])} ${String(attributes['loopguard.handler.event'])} ${String(attributes['loopguard.outcome'])}`;

describe('metrics', () => {
  it('count every blocking call by API, handler event and outcome, and record each duration in seconds', async () => {
    runInHandler({ source: 'bot', event: 'messageCreate' }, () => {
      for (let i = 0; i < 3; i++) fs.readFileSync(file);
      fs.statSync(file);
    });
    runInHandler({ source: 'bot', event: 'interactionCreate' }, () => fs.readFileSync(file));
    fs.readFileSync(file); // outside handlers: not a blocking call in a handler
    configure({ mode: 'strict' });
    try {
      runInHandler({ source: 'bot', event: 'interactionCreate' }, () => fs.readFileSync(file));
    } catch {
      // stopped, as strict mode does
    } finally {
      configure({ mode: 'report' });
    }

    const calls = await guarded.sdk.points(metricNames.calls.name);
    expect(Object.fromEntries(calls.map((p) => [key(p.attributes), p.value]))).toEqual({
      'fs.readFileSync messageCreate ran': 3,
      'fs.statSync messageCreate ran': 1,
      'fs.readFileSync interactionCreate ran': 1,
      'fs.readFileSync interactionCreate thrown': 1,
    });
    const durations = await guarded.sdk.points(metricNames.duration.name);
    const reads = durations.find((p) => key(p.attributes) === 'fs.readFileSync messageCreate ran')?.value as Histogram;
    expect(reads.count).toBe(3);
    expect(reads.sum).toBeGreaterThan(0);
    expect(reads.sum).toBeLessThan(1); // seconds, not milliseconds
    expect(reads.buckets.boundaries[0]).toBe(0.001);
    expect(durations.map((p) => key(p.attributes))).not.toContain('fs.readFileSync interactionCreate thrown');
  });

  it('count every call where reports sample a hot site; the duration histogram gets the sample', async () => {
    configure({ sampleAbove: 5 });
    try {
      runInHandler({ source: 'bot', event: 'hot' }, () => {
        for (let i = 0; i < 500; i++) fs.existsSync(file);
      });
    } finally {
      configure({ sampleAbove: 50 });
    }
    const calls = await guarded.sdk.points(metricNames.calls.name);
    expect(calls.find((p) => key(p.attributes) === 'fs.existsSync hot ran')?.value).toBe(500);
    const durations = await guarded.sdk.points(metricNames.duration.name);
    const sampled = durations.find((p) => key(p.attributes) === 'fs.existsSync hot ran')?.value as Histogram;
    expect(sampled.count).toBeGreaterThanOrEqual(5); // the histogram gets the sampled calls
    expect(sampled.count).toBeLessThan(500);
    const spans = guarded.sdk.spans().filter((s) => s.name === 'fs.existsSync');
    expect(spans.length).toBeGreaterThanOrEqual(5);
    expect(spans.length).toBeLessThan(500);
  });

  it('count the calls at a hot site without timing each one (the counter reads the totals when it is exported)', async () => {
    configure({ sampleAbove: 5 });
    const clock = vi.spyOn(performance, 'now');
    let reads = 0;
    try {
      runInHandler({ source: 'bot', event: 'untimed' }, () => {
        for (let i = 0; i < 2000; i++) fs.existsSync(file);
      });
      reads = clock.mock.calls.length;
    } finally {
      clock.mockRestore();
      configure({ sampleAbove: 50 });
    }
    // Two reads per timed call: all 2,000 would be 4,000 (as when the counter counted each call).
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(1000);
    const calls = await guarded.sdk.points(metricNames.calls.name);
    expect(calls.find((p) => key(p.attributes) === 'fs.existsSync untimed ran')?.value).toBe(2000);
  });

  it('keep the number of series bounded: past 1000, new handler events are counted without the handler (within the SDK\'s own limit)', async () => {
    const events = 1200;
    for (let i = 0; i < events; i++) runInHandler({ source: 'bot', event: `cap-${i}` }, () => fs.lstatSync(file));
    const calls = (await guarded.sdk.points(metricNames.calls.name)).filter((p) => p.attributes['loopguard.api'] === 'fs.lstatSync');
    const withoutHandler = calls.filter((p) => p.attributes['loopguard.handler.event'] === undefined);
    expect(withoutHandler).toHaveLength(1);
    expect(withoutHandler[0]!.value).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(1001);
    expect(calls.reduce((sum, p) => sum + (p.value as number), 0)).toBe(events); // every call counted
    expect(calls.filter((p) => p !== withoutHandler[0]).every((p) => p.value === 1)).toBe(true);
  });
});

describe('an SDK that registers its meter provider after loopguard', () => {
  const call = (time: number): Observation => ({
    type: 'blocking-call', api: 'fs.readFileSync', kind: 'file-system', outcome: 'ran', durationMs: 2, time,
    handler: undefined, sampled: false, site: undefined, via: undefined, module: undefined, detail: undefined,
    hint: '', docs: '', extra: undefined, stack: () => '',
  });
  /** The calls the runtime has counted, as the dispatcher gives them to the sink (`added`): one site. */
  let counted = 0;
  const totals = (): SiteTotal[] => [{ report: { type: 'blocking-call', api: 'fs.readFileSync', kind: 'file-system', outcome: 'ran', handler: null } as Report, count: counted, blockedMs: 0, maxMs: 0, estimated: false }];

  /** A sink on the global providers (as with LOOPGUARD_OTEL=auto), a meter provider not registered yet, and what it counted. */
  async function laterProvider(test: (sink: Sink, register: () => void) => void): Promise<{ calls: number[]; durations: number[] }> {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    counted = 0;
    const sink = otelSink();
    sink.added?.(totals);
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      test(sink, () => metrics.setGlobalMeterProvider(provider));
      const { resourceMetrics } = await reader.collect();
      const points = (name: string): { value: unknown }[] => resourceMetrics.scopeMetrics.flatMap((m) => m.metrics).filter((m) => m.descriptor.name === name).flatMap((m): { value: unknown }[] => m.dataPoints);
      return { calls: points(metricNames.calls.name).map((p) => p.value as number), durations: points(metricNames.duration.name).map((p) => (p.value as Histogram).count) };
    } finally {
      sink.close?.({ calls: 0, stopped: 0, blockedMs: 0, sites: [], overflowCalls: 0, internalErrors: 0 });
      vi.useRealTimers();
      metrics.disable();
      await provider.shutdown();
    }
  }

  it('is looked up again every second; until one registers, calls are not observed; then the counter has every call counted so far', async () => {
    const got = await laterProvider((sink, register) => {
      expect(sink.observing?.()).toBe(false); // no SDK: the dispatcher makes no observations for it
      expect(sink.counting?.()).toBe(false); // never: the counter reads the totals
      sink.observe?.(call(0));
      register();
      expect(sink.observing?.()).toBe(false); // not looked up again yet
      sink.observe?.(call(500));
      vi.advanceTimersByTime(1000);
      expect(sink.observing?.()).toBe(true);
      expect(sink.counting?.()).toBe(false);
      sink.observe?.(call(1000));
      sink.observe?.(call(1200));
      counted = 4;
    });
    expect(got).toEqual({ calls: [4], durations: [2] });
  });

  it('registered after loopguard and before the first event: that event\'s calls are recorded (looked up at each handler\'s start)', async () => {
    const got = await laterProvider((sink, register) => {
      register();
      expect(sink.observing?.()).toBe(false); // no timer tick yet
      sink.handlers?.start(newHandlerContext('test', 'e', {}));
      expect(sink.observing?.()).toBe(true);
      sink.observe?.(call(0));
      counted = 1;
    });
    expect(got).toEqual({ calls: [1], durations: [1] });
  });

  it('with an SDK that only traces, observes the calls that make spans and counts none of the unsampled ones (nothing made per call for them)', async () => {
    await laterProvider((sink) => {
      const tracerProvider = guarded.sdk.tracerProvider;
      const tracing = otelSink({ tracerProvider });
      try {
        expect(tracing.observing?.()).toBe(true);
        expect(tracing.counting?.()).toBe(false);
      } finally {
        tracing.close?.({ calls: 0, stopped: 0, blockedMs: 0, sites: [], overflowCalls: 0, internalErrors: 0 });
      }
      expect(sink.counting?.()).toBe(false);
    });
  });

  it('while none registers (an SDK that only traces), looks it up at the 1st, 2nd, 4th, 8th… handler start, not at every one', async () => {
    await laterProvider((sink) => {
      const lookups = vi.spyOn(metrics, 'getMeterProvider');
      try {
        for (let i = 0; i < 100; i++) sink.handlers?.start(newHandlerContext('test', 'e', {}))?.end?.([]);
        expect(lookups).toHaveBeenCalledTimes(7); // starts 1, 2, 4, 8, 16, 32, 64
      } finally {
        lookups.mockRestore();
      }
    });
  });
});
