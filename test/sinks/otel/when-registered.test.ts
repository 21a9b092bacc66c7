import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { List } from '../../../src/core/bus';
import { newHandlerContext } from '../../../src/core/context';
import type { HandlerObserver, HandlerScope, Report, Sink } from '../../../src/core/reports';
import { metricNames } from '../../../src/otel';
import { otelSink } from '../../../src/sinks/otel/sink';
import { otelSinkWhenRegistered } from '../../../src/sinks/otel/when-registered';
import { CollectingReader } from './support';

/* The settings' OpenTelemetry sink: nothing loaded or done until an SDK registers a provider. */

const summary = { calls: 0, stopped: 0, blockedMs: 0, sites: [], overflowCalls: 0, internalErrors: 0 };
let sink: Sink | undefined;
/** The handler observers the sink follows with, as the dispatcher keeps them. */
let followed = new List<HandlerObserver>();
const follow = (observer: HandlerObserver) => followed.add(observer);
/** A handler starts: what each observer following it returns (as runHandlerEvent asks them). */
const start = (): (HandlerScope | undefined)[] => followed.items.map((o) => o.start(newHandlerContext('test', 'e', {})));
afterEach(() => {
  followed = new List<HandlerObserver>();
  sink?.close?.(summary);
  vi.useRealTimers();
  trace.disable();
  metrics.disable();
});

describe('the OpenTelemetry sink of the settings', () => {
  it('observes nothing and stays out of handlers while no SDK is registered', () => {
    const failed = vi.fn();
    sink = otelSinkWhenRegistered(failed, follow, otelSink);
    expect(sink.observing?.()).toBe(false);
    expect(sink.counting?.()).toBe(false);
    expect(start()).toEqual([undefined]);
    expect(failed).not.toHaveBeenCalled();
  });

  it('a tracer provider registered after it: the next handler is a span', () => {
    sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    const [scope] = start();
    expect(scope).toBeDefined();
    expect(followed.items).toHaveLength(1); // the made sink's own observer, not the looking one
    expect(sink.observing?.()).toBe(true);
    expect(sink.counting?.()).toBe(false); // no meter: unsampled calls count for nothing
    scope?.run(() => undefined);
    scope?.end?.([]);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['test e']);
  });

  it('a meter provider registered after it: found within a second, also with no handler running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
    // The runtime's totals, given when the sink was added (before the made sink exists).
    const site = { report: { type: 'blocking-call', api: 'fs.statSync', kind: 'file-system', outcome: 'ran', handler: null } as Report, count: 3, blockedMs: 1, maxMs: 1, estimated: false };
    sink.added?.(() => [site]);
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    expect(sink.observing?.()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(sink.observing?.()).toBe(true);
    expect(sink.counting?.()).toBe(false); // the call counter reads the totals: nothing per unsampled call
    const { resourceMetrics } = await reader.collect();
    const calls = resourceMetrics.scopeMetrics.flatMap((m) => m.metrics).find((m) => m.descriptor.name === metricNames.calls.name);
    expect(calls?.dataPoints.map((p) => p.value)).toEqual([3]);
    await provider.shutdown();
  });

  it('reads the global registry at the 1st, 2nd, 4th, 8th… handler start, not at every one', () => {
    const key = Symbol.for('opentelemetry.js.api.1');
    let reads = 0;
    Object.defineProperty(globalThis, key, { configurable: true, get: () => { reads++; return undefined; } });
    try {
      sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
      reads = 0;
      for (let i = 0; i < 100; i++) start();
      expect(reads).toBe(7); // starts 1, 2, 4, 8, 16, 32, 64
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
  });

  it('follows no handler after the 1,024th start without an SDK; one registered later is found by the timer, and its spans follow', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
    for (let i = 0; i < 1023; i++) start();
    expect(followed.items).toHaveLength(1);
    start();
    expect(followed.items).toHaveLength(0); // nothing per event from here on
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    vi.advanceTimersByTime(1000);
    expect(followed.items).toHaveLength(1);
    const [scope] = start();
    scope?.run(() => undefined);
    scope?.end?.([]);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['test e']);
    await provider.shutdown();
  });

  it('looks less and less often while no SDK comes: after 1 s, then at doubling intervals up to 30 s; a late one is found at the next look', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const key = Symbol.for('opentelemetry.js.api.1');
    const looks: number[] = [];
    const startedAt = Date.now();
    let registry: unknown;
    Object.defineProperty(globalThis, key, { configurable: true, get: () => { looks.push(Math.round((Date.now() - startedAt) / 1000)); return registry; } });
    try {
      sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
      looks.length = 0;
      vi.advanceTimersByTime(121_000);
      expect(looks).toEqual([1, 3, 7, 15, 31, 61, 91, 121]);
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    registry = undefined;
    vi.advanceTimersByTime(29_000);
    expect(sink.observing?.()).toBe(false);
    vi.advanceTimersByTime(1000); // 151 s
    expect(sink.observing?.()).toBe(true);
    vi.advanceTimersByTime(60_000);
    await provider.shutdown();
  });

  it('follows nothing once closed', () => {
    sink = otelSinkWhenRegistered(vi.fn(), follow, otelSink);
    expect(followed.items).toHaveLength(1);
    sink.close?.(summary);
    expect(followed.items).toHaveLength(0);
  });
});
