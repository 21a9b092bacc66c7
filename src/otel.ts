/*
 * `loopguard/otel`: OpenTelemetry export for code that sets it up itself. With the preload, the
 * LOOPGUARD_OTEL setting does the same without code.
 */
export { otelSink, type OtelOptions } from './sinks/otel/sink';
export { LoopguardInstrumentation, type LoopguardInstrumentationConfig } from './runtime/otel-instrumentation';
export { attr as attributeNames, metric as metricNames, eventName as eventNames, handlerAttribute } from './sinks/otel/names';
