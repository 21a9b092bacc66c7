import { context, type Attributes } from '@opentelemetry/api';
import { afterAll, beforeAll } from 'vitest';
import { addSink, install, uninstall } from '../../../src/index';
import { otelSink } from '../../../src/otel';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/* The real OpenTelemetry SDK with in-memory exporting, as an application would set it up. */

export class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Sdk {
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  spans(): ReadableSpan[];
  /** Every data point of a metric, collected now. */
  points(name: string): Promise<DataPoint<number | Histogram>[]>;
  reset(): void;
  shutdown(): Promise<void>;
}

export function startSdk(): Sdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    async points(name) {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<number | Histogram>[]);
    },
    reset: () => exporter.reset(),
    async shutdown() {
      context.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The spans' tree as [name, parent name] pairs, to compare whole shapes. */
export function tree(spans: readonly ReadableSpan[]): [string, string | undefined][] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  return spans.map((s) => [s.name, s.parentSpanContext === undefined ? undefined : byId.get(s.parentSpanContext.spanId)?.name]);
}

export function attributesOf(span: ReadableSpan | undefined): Attributes {
  return span?.attributes ?? {};
}

export interface Guarded {
  /** The SDK, once the file's tests run. */
  readonly sdk: Sdk;
  /** Removes the OpenTelemetry sink (until `connect`). */
  disconnect(): void;
  connect(): void;
}

/** For the file's tests: loopguard installed, exporting to a fresh in-memory SDK (the settings' own OTel sink off). */
export function guardWithSdk(): Guarded {
  let sdk: Sdk | undefined;
  let remove: (() => void) | undefined;
  const guarded: Guarded = {
    get sdk() {
      if (sdk === undefined) throw new Error('the SDK starts in beforeAll');
      return sdk;
    },
    disconnect() {
      remove?.();
      remove = undefined;
    },
    connect() {
      guarded.disconnect();
      remove = addSink(otelSink({ tracerProvider: guarded.sdk.tracerProvider, meterProvider: guarded.sdk.meterProvider }));
    },
  };
  beforeAll(() => {
    sdk = startSdk();
    install({ env: false, console: false, otel: 'off' });
    guarded.connect();
  });
  afterAll(async () => {
    guarded.disconnect();
    uninstall();
    await sdk?.shutdown();
  });
  return guarded;
}
