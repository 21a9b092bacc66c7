import type { Callers } from './call-sites';
import type { HandlerContext } from './context';
import type { Report } from './reports';
import type { SamplingState } from './sampling';

/**
 * One blocking call (or an interaction acknowledgement, or a stall) as it was seen, before any
 * aggregation: what the guard, the Discord integrations and the watchdog publish on the bus.
 */
export interface Occurrence {
  /** Default `blocking-call`. */
  type?: Report['type'];
  api: string;
  kind: Report['kind'];
  hint: string;
  module?: string;
  /** What the arguments may show (a child process' program name). */
  detail?: string;
  /** The packages the blocking went through, when the table knows better than the stack. */
  via?: string;
  outcome: Report['outcome'];
  durationMs: number;
  time: number;
  handler: HandlerContext | undefined;
  callers: Callers;
  /** Fields of the report's type beyond the common ones. */
  extra?: Record<string, unknown>;
  /** A hot site's sampling state: the calls it counted without a stack are given to this one's site. */
  sampling?: SamplingState;
}

export type { UnsampledCall } from './reports';
