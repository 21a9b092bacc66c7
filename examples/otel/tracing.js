// OpenTelemetry for a bot under loopguard: load it before your bot, next to loopguard's preload.
//   node -r ./examples/otel/tracing.js -r loopguard/register bot.js
// It sends traces and metrics over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default
// http://localhost:4318, the collector of compose.yaml). loopguard finds the SDK by itself
// (LOOPGUARD_OTEL=auto) and adds a span per handled event, a child span per blocking call, and
// the loopguard.* metrics. Your other instrumentations (HTTP, undici, ...) go in the same SDK.
const { metrics } = require('@opentelemetry/api');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');

const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'discord-bot' });
// The exporters read OTEL_EXPORTER_OTLP_ENDPOINT themselves (and append /v1/traces, /v1/metrics).
const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
tracerProvider.register();
const meterProvider = new MeterProvider({
  resource,
  readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000) })],
});
metrics.setGlobalMeterProvider(meterProvider);

// Send what is buffered when the bot stops.
const shutdown = () => Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
process.once('beforeExit', shutdown);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => shutdown().then(() => process.kill(process.pid, signal)));
}
