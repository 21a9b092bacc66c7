'use strict';
// An anchor of the flood benchmark (a preload): what a user would set up to see sync fs calls with
// OpenTelemetry and no loopguard — @opentelemetry/instrumentation-fs (a span per fs call) with the
// recording SDK of otel-sdk.js (every trace recorded, exporters that discard). The instrumentation
// enables itself when made and uses the global tracer provider registered by otel-sdk.js.
require('./otel-sdk');
const { FsInstrumentation } = require('@opentelemetry/instrumentation-fs');

new FsInstrumentation();
