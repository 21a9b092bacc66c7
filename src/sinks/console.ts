import { describeCall, describeHandler, describeSite } from '../report/errors';
import type { Report, Sink, Summary } from '../report/types';
import { AsyncWriter } from '../util/async-writer';

export interface ConsoleSinkOptions {
  /** File descriptor to write to (default 2, stderr). */
  fd?: number;
  /** Paths are shown relative to this folder (default: the working directory). */
  cwd?: string;
  /** How many call sites the exit summary lists (default 5). */
  worst?: number;
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

/** One line per new call site; repeats are counted; the worst offenders at exit. */
export function formatLine(report: Report, cwd: string): string {
  const where = describeSite(report.site, cwd);
  const via = report.via === undefined ? '' : ` inside ${report.via}`;
  const what = report.kind === 'module-load'
    ? `${describeCall(report)} loaded modules from disk`
    : report.outcome === 'thrown' ? `${report.api} was stopped (strict mode)` : `${report.api} blocked the event loop for ${ms(report.durationMs)} ms`;
  return `[loopguard] ${what} in ${describeHandler(report.handler)} at ${where}${via} → use ${report.hint}`;
}

export function formatSummary(summary: Summary, cwd: string, worst: number): string {
  if (summary.calls === 0) return '';
  const lines = [
    `[loopguard] summary: ${summary.calls} blocking call${summary.calls === 1 ? '' : 's'} in handlers at ` +
      `${summary.sites.length} site${summary.sites.length === 1 ? '' : 's'}, ${ms(summary.blockedMs)} ms blocked in all`,
  ];
  for (const [i, s] of summary.sites.slice(0, worst).entries()) {
    lines.push(`  ${i + 1}. ${describeCall(s.report)} ×${s.count}, ${ms(s.blockedMs)} ms (max ${ms(s.maxMs)}) at ` +
      `${describeSite(s.report.site, cwd)} in ${describeHandler(s.report.handler)}`);
  }
  if (summary.sites.length > worst) lines.push(`  … and ${summary.sites.length - worst} more sites`);
  if (summary.overflowCalls > 0) lines.push(`  ${summary.overflowCalls} calls at sites beyond the table's cap were counted only`);
  if (summary.internalErrors > 0) lines.push(`  ${summary.internalErrors} failures inside loopguard were caught`);
  lines.push(`  how to fix each kind: ${summary.sites[0]?.report.docs.replace(/#.*$/, '#fixing-blocking-calls') ?? ''}`);
  return lines.join('\n') + '\n';
}

export function consoleSink(options: ConsoleSinkOptions = {}): Sink {
  const cwd = options.cwd ?? process.cwd();
  const worst = options.worst ?? 5;
  const out = new AsyncWriter(options.fd ?? 2, () => {});
  return {
    name: 'console',
    write(report) {
      // Repeats at a known site only show up in the summary.
      if (!report.aggregate) out.write(formatLine(report, cwd) + '\n');
    },
    close(summary) {
      out.flushSync(formatSummary(summary, cwd, worst));
    },
  };
}
