import type { ApiKind } from '../apis/types';
import type { HandlerContext } from '../context';
import { BlockingCallError } from '../report/errors';
import type { Report } from '../report/types';
import type { Callers } from './callers';
import { state } from './state';

/* What a judged call is reported as, and strict mode's stop: shared by every kind of wrapper. */

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What a call is reported as. */
export interface Described {
  api: string;
  kind: ApiKind;
  hint: string;
  detail?: string;
  module?: string;
  /** The packages the blocking went through, when the table knows better than the stack. */
  via?: string;
}

/** Records the call that strict mode stops and builds the error to throw (before it runs). */
export function stop(described: Described, store: HandlerContext | undefined, callers: Callers, wrapper: AnyFunction): BlockingCallError {
  let report: Report;
  try {
    const time = Date.now();
    report = { ...state.dispatcher.record({ ...described, outcome: 'thrown', durationMs: 0, time, handler: store, callers }), count: 1, aggregate: false, time };
  } catch (error) {
    state.dispatcher.countError(error, 'reporting a stopped call');
    report = fallbackReport(described, store, callers);
  }
  const error = new BlockingCallError(report);
  Error.captureStackTrace(error, wrapper);
  return error;
}

function fallbackReport(d: Described, store: HandlerContext | undefined, callers: Callers): Report {
  return {
    type: 'blocking-call', api: d.api, kind: d.kind, outcome: 'thrown', durationMs: 0, maxDurationMs: 0,
    count: 1, aggregate: false, time: Date.now(),
    handler: store === undefined ? null : { ...store.attributes, source: store.source, event: store.event },
    site: callers.site ?? null, stack: '', hint: d.hint, docs: '', pid: process.pid,
  };
}

export function isAllowedSite(callers: Callers): boolean {
  const { origin, site } = callers;
  return (origin !== undefined && state.allowedSite(origin.file)) || (site !== undefined && state.allowedSite(site.file));
}
