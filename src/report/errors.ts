import { blockingCallCode } from '../core/errors';
import type { HandlerSummary, Report, Site } from '../core/reports';
import { strictMessage } from './phrases';

/** Thrown in strict mode instead of running a blocking call inside a handler. */
export class BlockingCallError extends Error {
  override readonly name = 'BlockingCallError';
  readonly code = blockingCallCode;
  readonly api: string;
  /** The handler that made the call: this event's source, event and ids. */
  readonly handler: HandlerSummary | null;
  readonly site: Site | null;
  readonly hint: string;
  /** The report of this call (not shown when the error is printed: its fields are the error's). */
  declare readonly report: Report;

  constructor(report: Report) {
    super(strictMessage(report));
    this.api = report.api;
    this.handler = report.handler;
    this.site = report.site;
    this.hint = report.hint;
    Object.defineProperty(this, 'report', { value: report, enumerable: false, configurable: true });
  }
}
