import type { HandlerObserver, Sink, SiteTotals } from '../../core/reports';
import { outsideHandlers } from '../../core/context';
import type { Undo } from '../../core/undo';
import { takesUnsampled } from '../../report/dispatcher';
import { atDoublingCounts } from './doubling';

/*
 * The OpenTelemetry sink of the settings (LOOPGUARD_OTEL=auto or on), made once an SDK registers
 * a tracer or meter provider. Until then neither @opentelemetry/api nor the sink's own modules load: it would be most of what
 * loopguard's start-up costs, for a bot that never registers an SDK. Every
 * copy of the API 1.x keeps the registered providers in one global registry under a Symbol.for
 * key; it is read after a second, then at doubling intervals up to half a minute (`lookAfterMs`),
 * and at the 1st, 2nd, 4th… 1,024th handler start (an SDK preloaded after loopguard is in time for
 * the first event). After that, and until an SDK comes, the sink follows no handler: a bot that
 * never registers one pays nothing per event for it, and its idle loop wakes for it twice a
 * minute, not every second.
 */

const registryKey = Symbol.for('opentelemetry.js.api.1');

type Registry = { trace?: unknown; metrics?: unknown };

function sdkRegistered(): boolean {
  const registry = (globalThis as { [registryKey]?: Registry })[registryKey];
  return registry !== undefined && (registry.trace !== undefined || registry.metrics !== undefined);
}

/** The last handler start at which the registry is read (then the timer alone looks). */
const lastLook = 1024;

/** The timer's looks: the first a second after the sink is made, then at doubling intervals up to 30 s. */
const lookAfterMs = { first: 1000, last: 30_000 };

/** Follows handlers with `observer` until the returned undo (the dispatcher's `follow`). */
export type Follow = (observer: HandlerObserver) => Undo;

/** The sink's modules load with the API they use, once an SDK is there. */
const loadedSink = (): Sink => (require('./sink') as typeof import('./sink')).otelSink();

/**
 * `onError`: the sink could not be made (the API cannot be loaded from here); it is not tried
 * again. `follow`: how it follows handlers (its own looks, then the made sink's spans). `make`:
 * the sink (tests, which run the TypeScript sources, pass otelSink itself).
 */
export function otelSinkWhenRegistered(onError: (error: unknown) => void, follow: Follow, make: () => Sink = loadedSink): Sink {
  let sink: Sink | undefined;
  let totals: SiteTotals | undefined;
  let given = false;
  let unfollow: Undo | undefined;
  const followOnly = (observer: HandlerObserver | undefined): void => {
    unfollow?.();
    unfollow = observer === undefined ? undefined : follow(observer);
  };
  const connect = (): Sink | undefined => {
    if (given || !sdkRegistered()) return undefined;
    given = true;
    clearTimeout(timer);
    try {
      // Outside any handler: loopguard's own require is not the app's blocking call.
      sink = outsideHandlers(make);
      if (totals !== undefined) sink.added?.(totals);
    } catch (error) {
      onError(error);
    }
    // From here on the made sink's own observer follows handlers (this handler too: see below).
    followOnly(sink?.handlers);
    return sink;
  };
  let afterMs = lookAfterMs.first;
  let timer: NodeJS.Timeout | undefined;
  const lookLater = (): void => {
    timer = outsideHandlers(() => setTimeout(look, afterMs).unref());
  };
  const look = (): void => {
    connect(); // given from now on if it found an SDK (or failed to make the sink)
    if (given) return;
    afterMs = Math.min(afterMs * 2, lookAfterMs.last);
    lookLater();
  };
  lookLater();
  const lookAtStart = atDoublingCounts(connect, lastLook, () => {
    if (!given) followOnly(undefined);
  });
  connect();
  if (!given) {
    followOnly({
      start(handler) {
        lookAtStart();
        // The handler whose start found the SDK is already its sink's.
        return sink?.handlers?.start(handler);
      },
    });
  }
  return {
    name: 'opentelemetry',
    write() {},
    observing: () => sink !== undefined && (sink.observing?.() ?? true),
    counting: () => sink !== undefined && takesUnsampled(sink),
    added(read) {
      totals = read;
      sink?.added?.(read);
    },
    observe(o) {
      sink?.observe?.(o);
    },
    count(u) {
      sink?.count?.(u);
    },
    close(summary) {
      given = true;
      clearTimeout(timer);
      followOnly(undefined);
      sink?.close?.(summary);
    },
  };
}
