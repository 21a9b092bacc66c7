import type { Sink } from '../core/reports';
import { reportLine, summaryText } from '../report/phrases';
import type { LinesFor } from '../thread/client';

export interface ConsoleSinkOptions {
  /** File descriptor to write to (default 2, stderr). */
  fd?: number;
  /** Paths are shown relative to this folder (default: the working directory). */
  cwd?: string;
  /** How many call sites the exit summary lists (default 5). */
  worst?: number;
}

/** One line per new call site (repeats are counted, not printed; stops are), and the worst offenders at exit. */
export function makeConsoleSink(options: ConsoleSinkOptions, linesFor: LinesFor): Sink {
  const cwd = options.cwd ?? process.cwd();
  const worst = options.worst ?? 5;
  const out = linesFor({ fd: options.fd ?? 2 });
  return {
    name: 'console',
    write(report) {
      // Repeats at a known site are in the summary; strict mode's stops are each told (at most once a second per site).
      if (!report.aggregate || report.outcome === 'thrown') out.writeNow(reportLine(report, cwd) + '\n');
    },
    close(summary) {
      out.end(summaryText(summary, cwd, worst));
    },
  };
}
