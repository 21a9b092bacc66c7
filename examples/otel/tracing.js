// OpenTelemetry for a bot under loopguard: load it before your bot, next to loopguard's preload.
//   node -r ./examples/otel/tracing.js -r loopguard/register bot.js
// Traces go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318, the
// collector of compose.yaml; OTEL_TRACES_EXPORTER=none: no traces). Metrics go the same way, or,
// with OTEL_METRICS_EXPORTER=prometheus, are served for Prometheus to scrape on
// OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (default 0.0.0.0:9464, /metrics).
// loopguard finds the SDK by itself (LOOPGUARD_OTEL=auto) and adds a span per handled event, a
// child span per blocking call, and the loopguard.* metrics. Your other instrumentations (HTTP,
// undici, ...) go in the same SDK.
const { metrics } = require('@opentelemetry/api');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');

const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'discord-bot' });
// The exporters read OTEL_EXPORTER_OTLP_ENDPOINT themselves (and append /v1/traces, /v1/metrics).
const spanProcessors = process.env.OTEL_TRACES_EXPORTER === 'none' ? [] : [new BatchSpanProcessor(new OTLPTraceExporter())];
const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
tracerProvider.register();

function prometheus() {
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const { metricNames } = require('loopguard/otel');
  // The collector's Prometheus exporter (and Prometheus' own OTLP receiver) add the unit to a
  // metric's name (loopguard_blocking_call_duration_seconds_bucket); this exporter does not. These
  // views give loopguard's histograms the same names, so that one dashboard fits both paths.
  const seconds = Object.values(metricNames).filter((m) => m.unit === 's');
  return {
    readers: [new PrometheusExporter()],
    views: seconds.map((m) => ({ meterName: 'loopguard', instrumentName: m.name, name: `${m.name}_seconds` })),
  };
}

const meterProvider = new MeterProvider({
  resource,
  ...(process.env.OTEL_METRICS_EXPORTER === 'prometheus' ? prometheus() : {
    readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000) })],
  }),
});
metrics.setGlobalMeterProvider(meterProvider);

// Send what is buffered when the bot stops.
const shutdown = () => Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
process.once('beforeExit', shutdown);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => shutdown().then(() => process.kill(process.pid, signal)));
}
