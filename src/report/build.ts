import { stackOf } from '../core/call-sites';
import type { HandlerContext } from '../core/context';
import type { Occurrence } from '../core/occurrence';
import type { HandlerSummary, Report } from '../core/reports';
import { docsFor } from './docs';

/** The handler a report names: its source, event and attributes (the live context stays inside loopguard). */
export function handlerSummary(handler: HandlerContext | undefined): HandlerSummary | null {
  if (handler === undefined) return null;
  return { ...handler.attributes, source: handler.source, event: handler.event };
}

/** The report of one occurrence (a new site's first report, or a stopped call's). */
export function reportOf(o: Occurrence, withStack = true): Report {
  const { site } = o.callers;
  const via = o.via ?? o.callers.via;
  const report = {
    type: o.type ?? 'blocking-call',
    api: o.api,
    kind: o.kind,
    outcome: o.outcome,
    durationMs: o.durationMs,
    maxDurationMs: o.durationMs,
    count: 1,
    aggregate: false,
    time: o.time,
    handler: handlerSummary(o.handler),
    site: site ?? null,
    stack: withStack ? stackOf(o.callers) : '',
    hint: o.hint,
    docs: docsFor(o.kind),
    pid: process.pid,
    ...o.extra,
  } as Report;
  if (via !== undefined) report.via = via;
  if (o.module !== undefined) report.module = o.module;
  if (o.detail !== undefined) report.detail = o.detail;
  return report;
}
