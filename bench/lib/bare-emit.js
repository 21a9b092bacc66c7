'use strict';
// The reference points the benches put around a discord.js Client's events, without loopguard:
// what any async-context tool costs, and the least an OpenTelemetry instrumentation does per
// consumed message. Each wraps Client.prototype.emit.

/** A bare AsyncLocalStorage.run around each client event. */
function bareRunPerEvent(Client) {
  const storage = new (require('node:async_hooks').AsyncLocalStorage)();
  const emit = Client.prototype.emit;
  Client.prototype.emit = function (event, ...args) {
    return storage.run({ event }, () => emit.call(this, event, ...args));
  };
}

/**
 * A consumer span per client event that has listeners, active while they run, ended after, with
 * whatever SDK is registered. Until 2026-12-05 the flood's spanned every client event, also the
 * `raw` packet nobody listens to: two spans a message, not one.
 */
function bareSpanPerEvent(Client) {
  const { context, trace, SpanKind } = require('@opentelemetry/api');
  const tracer = trace.getTracer('bench-bare-otel');
  const emit = Client.prototype.emit;
  Client.prototype.emit = function (event, ...args) {
    if (this.listenerCount(event) === 0) return emit.call(this, event, ...args);
    const span = tracer.startSpan(`discord.js ${String(event)}`, { kind: SpanKind.CONSUMER });
    try {
      return context.with(trace.setSpan(context.active(), span), () => emit.call(this, event, ...args));
    } finally {
      span.end();
    }
  };
}

module.exports = { bareRunPerEvent, bareSpanPerEvent };
