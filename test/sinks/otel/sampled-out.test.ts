import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventContext } from '../../../src/core/context';
import { otelSink } from '../../../src/otel';

/*
 * Under a sampler, most handled events are not recorded: their spans still carry the decision to
 * the event's children, but nothing is read or built for them that only a recorded span needs.
 */

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => context.disable());

function handlerSpan(sampler: AlwaysOffSampler | AlwaysOnSampler) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const sink = otelSink({ tracerProvider });
  let reads = 0;
  const handler = eventContext('bot', 'messageCreate', () => {
    reads++;
    return { guildId: 'g1' };
  }, {}, undefined);
  const scope = sink.handlers?.start(handler);
  const child = scope?.run(() => trace.getActiveSpan());
  scope?.end?.([new Error('the listener failed')]);
  sink.close?.({ calls: 0, stopped: 0, blockedMs: 0, sites: [], overflowCalls: 0, internalErrors: 0 });
  return { reads, scope, child, spans: exporter.getFinishedSpans() };
}

describe('a handled event a sampler leaves out', () => {
  it('still runs in its span (its children are left out too), without its ids being read', () => {
    const { reads, scope, child, spans } = handlerSpan(new AlwaysOffSampler());
    expect(scope).toBeDefined();
    expect(scope?.end).toBeUndefined(); // nothing to end: its listeners' promises are not followed
    expect(child?.isRecording()).toBe(false);
    expect(child?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spans).toEqual([]);
    expect(reads).toBe(0);
  });

  it('reads no clock and makes no options of its own: the span\'s options are made once per source and event', () => {
    const tracerProvider = new NodeTracerProvider({ sampler: new AlwaysOffSampler() });
    const tracer = tracerProvider.getTracer('t');
    const options: unknown[] = [];
    const startSpan = tracer.startSpan.bind(tracer);
    const spy = { getTracer: () => ({ ...tracer, startSpan: (name: string, o: unknown) => (options.push(o), startSpan(name, o as never)), startActiveSpan: tracer.startActiveSpan }) };
    const sink = otelSink({ tracerProvider: spy as never });
    const clocks = [vi.spyOn(Date, 'now'), vi.spyOn(performance, 'now')];
    try {
      for (let i = 0; i < 3; i++) sink.handlers?.start(eventContext('bot', 'messageCreate', () => ({}), {}, undefined))?.run(() => {});
      expect(clocks.map((clock) => clock.mock.calls.length)).toEqual([0, 0]);
    } finally {
      for (const clock of clocks) clock.mockRestore();
    }
    expect(options).toHaveLength(3);
    expect(options[1]).toBe(options[0]);
    expect(options[2]).toBe(options[0]);
  });

  it('when sampled, records its ids and the error', () => {
    const { reads, spans } = handlerSpan(new AlwaysOnSampler());
    expect(reads).toBe(1);
    expect(spans[0]?.attributes).toMatchObject({ 'loopguard.handler.source': 'bot', 'loopguard.handler.event': 'messageCreate', 'loopguard.handler.guild_id': 'g1' });
    expect(spans[0]?.events.map((e) => e.name)).toEqual(['exception']);
  });
});
