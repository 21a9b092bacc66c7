'use strict';
// The OpenTelemetry SDK for the flood benchmark's OTel variants (a preload): real tracer and meter
// providers, batching span processor and periodic metric reader, with exporters that discard —
// what recording costs in the bot's process, without a network in the measurement.
// FLOOD_OTEL_RATIO=0.01: a ParentBased(TraceIdRatioBased(0.01)) sampler, as a busy bot would
// configure (default: every trace recorded).
const { metrics } = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace-node');

const discard = (_items, done) => done({ code: ExportResultCode.SUCCESS });
const spanExporter = { export: discard, shutdown: async () => {} };
const metricExporter = {
  export: discard,
  shutdown: async () => {},
  forceFlush: async () => {},
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
};

// Counts the spans recorded (proof that the variant records what it should).
let ended = 0;
const counter = { onStart() {}, onEnd() { ended++; }, forceFlush: async () => {}, shutdown: async () => {} };
const ratio = process.env.FLOOD_OTEL_RATIO ? Number(process.env.FLOOD_OTEL_RATIO) : undefined;
const sampler = ratio === undefined ? undefined : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });

new NodeTracerProvider({ ...(sampler && { sampler }), spanProcessors: [counter, new BatchSpanProcessor(spanExporter)] }).register();
// FLOOD_OTEL_METRICS=off: no meter provider (what the tracer alone costs).
if (process.env.FLOOD_OTEL_METRICS !== 'off') {
  metrics.setGlobalMeterProvider(new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1000 })],
  }));
}

const previous = globalThis.__floodStats;
globalThis.__floodStats = () => ({ ...previous?.(), spansRecorded: ended });
