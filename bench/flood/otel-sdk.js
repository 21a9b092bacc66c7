'use strict';
// The OpenTelemetry SDK for the flood benchmark's OTel variants (a preload): real tracer and meter
// providers, batching span processor and periodic metric reader, with exporters that discard —
// what recording costs in the bot's process, without a network in the measurement.
const { metrics } = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');

const discard = (_items, done) => done({ code: ExportResultCode.SUCCESS });
const spanExporter = { export: discard, shutdown: async () => {} };
const metricExporter = {
  export: discard,
  shutdown: async () => {},
  forceFlush: async () => {},
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
};

new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter)] }).register();
metrics.setGlobalMeterProvider(new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1000 })],
}));
