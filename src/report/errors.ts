import type { HandlerSummary, Report, Site } from './types';

/** Thrown in strict mode instead of running a blocking call inside a handler. */
export class BlockingCallError extends Error {
  override readonly name = 'BlockingCallError';
  readonly code = 'ERR_LOOPGUARD_BLOCKING_CALL';
  readonly api: string;
  readonly handler: HandlerSummary | null;
  readonly site: Site | null;
  readonly hint: string;
  readonly report: Report;

  constructor(report: Report) {
    super(describeStrict(report));
    this.api = report.api;
    this.handler = report.handler;
    this.site = report.site;
    this.hint = report.hint;
    this.report = report;
  }
}

export function describeHandler(handler: HandlerSummary | null): string {
  return handler === null ? 'outside any handler' : `handler "${handler.event}" (${handler.source})`;
}

export function describeSite(site: Site | null, relativeTo?: string): string {
  if (site === null) return 'an unknown line';
  let file = site.file;
  if (relativeTo !== undefined && file.startsWith(relativeTo + '/')) file = file.slice(relativeTo.length + 1);
  return `${file}:${site.line}:${site.column}`;
}

export function describeCall(report: Report): string {
  return report.module === undefined ? report.api : `${report.api}(${JSON.stringify(report.module)})`;
}

function describeStrict(report: Report): string {
  const via = report.via === undefined ? '' : ` (inside ${report.via})`;
  return `${describeCall(report)} would block the event loop in ${describeHandler(report.handler)} at ` +
    `${describeSite(report.site)}${via}. Use ${report.hint} instead. See ${report.docs}`;
}
