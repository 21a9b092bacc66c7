import type { Sink } from '../../core/reports';
import { outsideHandlers } from '../../core/context';
import { takesUnsampled } from '../../report/dispatcher';
import { atDoublingCounts } from './doubling';

/*
 * The OpenTelemetry sink of the settings (LOOPGUARD_OTEL=auto or on), made once an SDK registers
 * a tracer or meter provider. Until then neither @opentelemetry/api nor the sink's own modules load: it would be most of what
 * loopguard's start-up costs, for a bot that never registers an SDK. Every
 * copy of the API 1.x keeps the registered providers in one global registry under a Symbol.for
 * key; it is read every second, and at the 1st, 2nd, 4th, 8th… handler start (an SDK preloaded
 * after loopguard is in time for the first event).
 */

const registryKey = Symbol.for('opentelemetry.js.api.1');

type Registry = { trace?: unknown; metrics?: unknown };

function sdkRegistered(): boolean {
  const registry = (globalThis as { [registryKey]?: Registry })[registryKey];
  return registry !== undefined && (registry.trace !== undefined || registry.metrics !== undefined);
}

/** The sink's modules load with the API they use, once an SDK is there. */
const loadedSink = (): Sink => (require('./sink') as typeof import('./sink')).otelSink();

/**
 * `onError`: the sink could not be made (the API cannot be loaded from here); it is not tried
 * again. `make`: the sink (tests, which run the TypeScript sources, pass otelSink itself).
 */
export function otelSinkWhenRegistered(onError: (error: unknown) => void, make: () => Sink = loadedSink): Sink {
  let sink: Sink | undefined;
  let given = false;
  const connect = (): Sink | undefined => {
    if (given || !sdkRegistered()) return undefined;
    given = true;
    clearInterval(timer);
    try {
      // Outside any handler: loopguard's own require is not the app's blocking call.
      sink = outsideHandlers(make);
    } catch (error) {
      onError(error);
    }
    return sink;
  };
  const timer = outsideHandlers(() => setInterval(connect, 1000).unref());
  const lookAtStart = atDoublingCounts(connect);
  connect();
  return {
    name: 'opentelemetry',
    handlers: {
      start(handler) {
        if (sink === undefined) lookAtStart();
        return sink?.handlers?.start(handler);
      },
    },
    write() {},
    observing: () => sink !== undefined && (sink.observing?.() ?? true),
    counting: () => sink !== undefined && takesUnsampled(sink),
    observe(o) {
      sink?.observe?.(o);
    },
    count(u) {
      sink?.count?.(u);
    },
    close(summary) {
      given = true;
      clearInterval(timer);
      sink?.close?.(summary);
    },
  };
}
