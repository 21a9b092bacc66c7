import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Sink, SiteTotals } from '../../core/reports';
import { outsideHandlers } from '../../core/context';
import { version } from '../../core/version';
import { loadApi } from './api';
import { atDoublingCounts } from './doubling';
import { createMetrics, type Metrics } from './metrics';
import { scopeName } from './names';
import { createTraces } from './traces';

export interface OtelOptions {
  /** Where spans go. Default: the global provider (the one an SDK registers, also after loopguard loaded). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global provider. */
  meterProvider?: MeterProvider;
}


/**
 * Exports what loopguard sees through OpenTelemetry: a span per handled event, a child span per
 * blocking call, and metrics. Needs `@opentelemetry/api`; the application owns the SDK.
 */
export function otelSink(options: OtelOptions = {}): Sink {
  const api = loadApi();
  if (api === undefined) throw new Error('@opentelemetry/api is not installed');
  // A tracer from the global provider is a proxy that follows an SDK registered later.
  const provider = options.tracerProvider ?? api.trace.getTracerProvider();
  const tracer = provider.getTracer(scopeName, version);
  // Until an SDK registers, the global proxy delegates to the API's no-op provider (the one a
  // fresh proxy returns): then handlers are left alone at the cost of one comparison.
  const noop = new api.ProxyTracerProvider().getDelegate();
  const proxy = provider instanceof api.ProxyTracerProvider ? provider : undefined;
  const traces = createTraces(api, tracer, () => proxy === undefined || proxy.getDelegate() !== noop);
  // A meter has no such proxy: while none is registered, the global provider is looked up at the
  // 1st, 2nd, 4th, 8th… handler start (an SDK preloaded after loopguard counts the first event's
  // calls; an SDK that only traces costs no lookup per event), and every second (one registered
  // or replaced later is counted from then on). Not per call: with no meter, a call costs
  // loopguard one flag read here.
  const noopMeter = api.createNoopMeter().constructor;
  let metrics: Metrics | undefined;
  let meterProvider: MeterProvider | undefined;
  // The runtime's totals once the sink is added (none before: a sink used on its own counts nothing).
  let siteTotals: SiteTotals = () => [];
  const lookUp = (): void => {
    const provider = options.meterProvider ?? api.metrics.getMeterProvider();
    if (provider === meterProvider) return;
    meterProvider = provider;
    const meter = provider.getMeter(scopeName, version);
    metrics = meter.constructor === noopMeter ? undefined : createMetrics(meter, () => siteTotals());
  };
  lookUp();
  const lookAtStart = atDoublingCounts(lookUp);
  const timer = options.meterProvider === undefined ? outsideHandlers(() => setInterval(lookUp, 1000).unref()) : undefined;

  return {
    name: 'opentelemetry',
    handlers: {
      start(handler) {
        if (metrics === undefined) lookAtStart();
        return traces.handlers.start(handler);
      },
    },
    // Spans and metrics are made per call, from `observe`; aggregates add nothing to them.
    write() {},
    observing: () => metrics !== undefined || traces.tracing(),
    // An unsampled call makes no span (it has no stack to place it), and the call counter reads
    // the totals: nothing is wanted per unsampled call.
    counting: () => false,
    added(totals) {
      siteTotals = totals;
    },
    observe(o) {
      traces.call(o);
      metrics?.call(o);
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
