import type { Report, Sink, Summary } from '../core/reports';

/** Hands every report (and, optionally, the summary at exit) to your function (outside any handler context). */
export function callbackSink(onReport: (report: Report) => void, onClose?: (summary: Summary) => void): Sink {
  const sink: Sink = { name: 'callback', write: onReport };
  return onClose === undefined ? sink : { ...sink, close: onClose };
}
