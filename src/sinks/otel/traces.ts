import { fileURLToPath } from 'node:url';
import type { Attributes, Context, Exception, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { now, timeOrigin } from '../../core/clock';
import { HandlerState, originOf, type HandlerContext } from '../../core/context';
import type { HandlerObserver, HandlerScope, Observation } from '../../core/reports';
import type { OtelApi } from './api';
import { attr, eventName, handlerAttribute, stallSpanName } from './names';

/*
 * A span per handled event (`discord.js messageCreate`), active while its listeners run and ended
 * when their work settles; a child span per blocking call, with the call's real start and end, so
 * the timeline shows how long the loop was blocked and by which line.
 */

export interface Traces {
  readonly handlers: HandlerObserver;
  call(o: Observation): void;
  /** Whether spans are made now (an SDK is registered). */
  tracing(): boolean;
}

/**
 * A handler's span and, when it records, its start as epoch milliseconds (`startedAt`, the SDK's)
 * and as now() (`at`, the clock calls are timed with). A span that does not record has no start.
 */
interface HandlerSpan {
  readonly span: Span;
  readonly startedAt: number | undefined;
  readonly at: number;
}

/** How a handler's span starts: its name and options (the source and event, which the sampler sees). */
interface SpanStart {
  readonly name: string;
  readonly options: SpanOptions;
}

/**
 * When a recording span began, as epoch milliseconds: the SDK's own start (its spans are
 * `ReadableSpan`s, whose `startTime` is an HrTime), else now.
 */
function startedAtOf(span: Span): number {
  const start = (span as { startTime?: unknown }).startTime;
  if (Array.isArray(start) && typeof start[0] === 'number' && typeof start[1] === 'number') return start[0] * 1000 + start[1] / 1e6;
  return Date.now();
}

/** A `now()` time during a handler, as the epoch time its span's clock shows (it began at `startedAt`, which was `spanAt`). */
const wallTime = (startedAt: number, spanAt: number, at: number): number => startedAt + (at - spanAt);

/** `tracing()`: false while no SDK is registered, so that nothing is done per event. */
export function createTraces(api: OtelApi, tracer: Tracer, tracing: () => boolean): Traces {
  const { SpanKind, SpanStatusCode } = api;
  /**
   * The span of each handled event, for what is observed outside its context: acknowledgements,
   * and stalls, reported when the loop turns again — often after the handler's span ended.
   */
  const spans = new HandlerState<HandlerSpan>();

  const sourceAttribute = handlerAttribute('source');
  const eventAttribute = handlerAttribute('event');

  /** The handler's ids and the like: read only for a span that records (most are not, under a sampler). */
  function idAttributes(handler: HandlerContext): Attributes {
    const attributes: Attributes = {};
    const own = handler.attributes;
    for (const key in own) attributes[handlerAttribute(key)] = own[key];
    return attributes;
  }

  /**
   * The API's no-op span carries the all-zero ids. Compared as strings: isSpanContextValid matches
   * both ids against their hex patterns, some 0.7 µs of every event a sampler leaves out (flood,
   * Node 24).
   */
  const isNoop = (span: Span): boolean => {
    const { traceId, spanId } = span.spanContext();
    return traceId === api.INVALID_TRACEID || spanId === api.INVALID_SPANID;
  };

  /**
   * How a handler's span starts, by handler kind: made once per source and event, not per event
   * (a literal with computed keys is a call into V8's runtime each time). The SDK reads the
   * options and copies the attributes; no start time is given, so an event the sampler leaves out
   * reads no clock (two reads are 0.1-0.5 µs where the clock is a paravirtual one).
   */
  const starts = new Map<string, SpanStart>();
  const startOf = (handler: HandlerContext): SpanStart => {
    let start = starts.get(handler.kind);
    if (start === undefined) {
      const attributes: Attributes = {};
      attributes[sourceAttribute] = handler.source;
      attributes[eventAttribute] = handler.event;
      start = { name: `${handler.source} ${handler.event}`, options: { kind: SpanKind.CONSUMER, attributes } };
      if (starts.size < 1000) starts.set(handler.kind, start);
    }
    return start;
  };

  const handlers: HandlerObserver = {
    start(handler) {
      if (!tracing()) return undefined;
      // The sampler sees the source and event; the ids are added once the span is known to record.
      const { name, options } = startOf(handler);
      const span = tracer.startSpan(name, options);
      const recording = span.isRecording();
      // No SDK (a no-op span): stay out, and the handler runs as if OpenTelemetry were off. A span
      // that is valid but not sampled still goes on: its children must not be sampled either.
      if (!recording && isNoop(span)) return undefined;
      const active = api.trace.setSpan(api.context.active(), span);
      const run = <R>(fn: () => R): R => api.context.with(active, fn);
      if (!recording) {
        // Not sampled: kept for what its children inherit; nothing to end or record, so the
        // handler's promises are not followed.
        spans.set(handler, { span, startedAt: undefined, at: 0 });
        return { run };
      }
      // The spans inside are placed from the SDK's start of this one, read against now() here.
      const startedAt = startedAtOf(span);
      const spanAt = now();
      spans.set(handler, { span, startedAt, at: spanAt });
      span.setAttributes(idAttributes(handler));
      const scope: HandlerScope = {
        run,
        end(errors) {
          if (errors.length > 0 && span.isRecording()) {
            for (const error of errors) span.recordException(redactedException(error));
            span.setStatus({ code: SpanStatusCode.ERROR, message: redactedException(errors[0]).message });
          }
          span.end(wallTime(startedAt, spanAt, now()));
        },
      };
      return scope;
    },
  };

  /**
   * The blocking call's parent: the span active where it was made, else its handler's span. Only
   * the span is kept: an instrumentation that wrapped the same function (instrumentation-fs)
   * suppresses tracing inside it, and the user's blocking call must still be seen.
   */
  function parentOf(handlerSpan: HandlerSpan | undefined): Context {
    const span = api.trace.getSpan(api.context.active()) ?? handlerSpan?.span;
    return span === undefined ? api.ROOT_CONTEXT : api.trace.setSpan(api.ROOT_CONTEXT, span);
  }

  const handlerSpanOf = (o: Observation): HandlerSpan | undefined => (o.handler === undefined ? undefined : spans.get(originOf(o.handler)));

  /**
   * An observation's start and end, placed from its handler span's start: its time is on the
   * monotonic clock (core/clock's `epochNow()`), which can be milliseconds off Date.now(), the SDK's
   * clock (CI saw a call 2.4 ms before its handler began, Node 20 under load). Without a handler
   * span that records, the SDK places it as it places its own spans: a `now()` time, from
   * Date.now() as it is.
   */
  function spanTimes(o: Observation, handlerSpan: HandlerSpan | undefined): [start: number, end: number] {
    const at = o.time - timeOrigin();
    if (handlerSpan?.startedAt === undefined) return [at, at + o.durationMs];
    const start = wallTime(handlerSpan.startedAt, handlerSpan.at, at);
    return [start, start + o.durationMs];
  }

  function callSpan(o: Observation): void {
    const handlerSpan = handlerSpanOf(o);
    const [start, end] = spanTimes(o, handlerSpan);
    const span = tracer.startSpan(o.api, { kind: SpanKind.INTERNAL, startTime: start }, parentOf(handlerSpan));
    if (span.isRecording()) {
      span.setAttributes(callAttributes(o));
      if (o.outcome === 'thrown') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `stopped by loopguard (strict mode): ${o.api}` });
      }
    }
    span.end(end);
  }

  function ackEvent(o: Observation): void {
    const span = handlerSpanOf(o)?.span;
    if (span === undefined) return;
    const extra = o.extra ?? {};
    const attributes: Attributes = { [attr.api]: o.api, [attr.outcome]: o.outcome, ...siteAttributes(o) };
    if (typeof extra['ackDelayMs'] === 'number') attributes[attr.ackDelay] = extra['ackDelayMs'];
    if (typeof extra['deadlineMs'] === 'number') attributes[attr.ackDeadline] = extra['deadlineMs'];
    span.addEvent(eventName.interactionAck, attributes);
  }

  /**
   * A stall is a span over the time the loop was held, under the handler it happened in, with
   * error status; the handler's span, when still open, gets an event and error status too.
   */
  function stallSpan(o: Observation): void {
    const handlerSpan = handlerSpanOf(o);
    const parent = handlerSpan === undefined ? api.ROOT_CONTEXT : api.trace.setSpan(api.ROOT_CONTEXT, handlerSpan.span);
    const [start, end] = spanTimes(o, handlerSpan);
    const span = tracer.startSpan(stallSpanName, { kind: SpanKind.INTERNAL, startTime: start }, parent);
    const message = `the event loop stalled for ${Math.round(o.durationMs)} ms in ${o.api}`;
    const attributes = { ...callAttributes(o), ...stallAttributes(o) };
    if (span.isRecording()) {
      span.setAttributes(attributes);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    span.end(end);
    if (handlerSpan?.span.isRecording() === true) {
      handlerSpan.span.addEvent(eventName.stall, attributes);
      handlerSpan.span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
  }

  return {
    handlers,
    tracing,
    call(o) {
      if (o.sampled || !tracing()) return;
      if (o.type === 'interaction-ack') ackEvent(o);
      else if (o.type === 'stall') stallSpan(o);
      else callSpan(o);
    },
  };
}

/**
 * What a handler span records of an error its listeners threw: the class, the code and the stack's
 * frames, not the message — messages carry what the failed call was given (a path, a command line
 * with a token: `Command failed: curl -H "Authorization: Bot …"`). loopguard's own errors say
 * nothing secret and keep theirs.
 */
export function redactedException(error: unknown): Exception & { message: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: `a thrown ${typeof error} (value not recorded)` };
  const code = (error as { code?: unknown }).code;
  const known = typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
  if (known === 'ERR_LOOPGUARD_BLOCKING_CALL') return { name: error.name, code: known, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  const message = `${error.name}${known === undefined ? '' : ` (${known})`}: message not recorded (it can hold secrets)`;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
  const out: Exception & { message: string } = { name: error.name, message, stack: frames === '' ? message : `${message}\n${frames}` };
  if (known !== undefined) out.code = known;
  return out;
}

function siteAttributes(o: Observation): Attributes {
  const site = o.site;
  if (site === undefined) return {};
  const attributes: Attributes = {
    [attr.codeFile]: site.file.startsWith('file:') ? fileURLToPath(site.file) : site.file,
    [attr.codeLine]: site.line,
    [attr.codeColumn]: site.column,
  };
  if (site.function !== undefined) attributes[attr.codeFunction] = site.function;
  return attributes;
}

function callAttributes(o: Observation): Attributes {
  const attributes: Attributes = {
    [attr.api]: o.api,
    [attr.kind]: o.kind,
    [attr.outcome]: o.outcome,
    [attr.hint]: o.hint,
    [attr.docs]: o.docs,
    ...siteAttributes(o),
    [attr.codeStack]: o.stack(),
  };
  if (o.via !== undefined) attributes[attr.via] = o.via;
  if (o.module !== undefined) attributes[attr.module] = o.module;
  if (o.detail !== undefined) attributes[attr.detail] = o.detail;
  return attributes;
}

function stallAttributes(o: Observation): Attributes {
  const extra = o.extra ?? {};
  const attributes: Attributes = {};
  if (typeof extra['thresholdMs'] === 'number') attributes[attr.stallThreshold] = extra['thresholdMs'];
  if (typeof extra['captureDelayMs'] === 'number') attributes[attr.stallCaptureDelay] = extra['captureDelayMs'];
  if (typeof extra['stackUnavailable'] === 'string') attributes[attr.stallNoStack] = extra['stackUnavailable'];
  const risk = extra['atRisk'] as { heartbeats?: { missed?: number }[]; interactions?: unknown[] } | undefined;
  if (risk !== undefined) {
    attributes[attr.heartbeatsMissed] = (risk.heartbeats ?? []).reduce((sum, h) => sum + (h.missed ?? 0), 0);
    attributes[attr.interactionsAtRisk] = (risk.interactions ?? []).length;
  }
  return attributes;
}
