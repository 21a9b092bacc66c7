import type { HandlerSummary, InteractionAckReport, Report, Site, StallReport, Summary } from '../core/reports';
import { docsIndex } from './docs';

/*
 * How loopguard says things, in one place: the console's lines and summary, BlockingCallError's
 * message and guardTests' failures all phrase a report with these.
 */

/**
 * The attributes that name the part of a handler that ran in a bot framework's words (a Sapphire
 * command's chatInputRun, a Seyfert component): the same for every event at one line.
 */
export const partAttributes: readonly string[] = ['framework', 'store', 'piece', 'run'];

export function describeHandler(handler: HandlerSummary | null): string {
  return handler === null ? 'outside any handler' : `handler "${handler.event}" (${handler.source}${describePart(handler)})`;
}

/** `; sapphire commands "ping" chatInputRun`, or nothing when no framework part ran. */
function describePart(handler: HandlerSummary): string {
  if (handler['piece'] === undefined) return '';
  let words = '';
  for (const key of partAttributes) {
    const value = handler[key];
    if (value !== undefined) words += key === 'piece' ? ` "${String(value)}"` : ` ${String(value)}`;
  }
  return `;${words}`;
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

export const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(1) : value.toFixed(2));

function ackLine(report: InteractionAckReport, cwd: string | undefined): string {
  const blockers = report.blockers ?? [];
  const worst = blockers[0];
  const by = worst === undefined ? '' : `, ${ms(report.durationMs)} ms of it blocked by ${worst.api} at ${describeSite(worst.site, cwd)}` +
    (blockers.length > 1 ? ` and ${blockers.length - 1} more` : '');
  const late = report.outcome === 'late' ? ` — later than Discord's ${report.deadlineMs / 1000} s deadline, the user saw "The application did not respond"` : '';
  return `[loopguard] ${report.api} came ${ms(report.ackDelayMs ?? 0)} ms into ${describeHandler(report.handler)}${by}${late}; ` +
    `acknowledged at ${describeSite(report.site, cwd)} → ${report.hint}`;
}

function stallLine(report: StallReport, cwd: string | undefined): string {
  const where = report.site === null ? '' : ` at ${describeSite(report.site, cwd)}${report.via === undefined ? '' : ` inside ${report.via}`}`;
  const what = report.outcome === 'captured' ? `, stuck in ${report.api}${where}`
    : report.outcome === 'resumed' ? `, stuck outside JavaScript in the call just before${where}` : ` (no stack: ${report.stackUnavailable ?? 'unknown'})`;
  const risks: string[] = [];
  const atRisk = report.atRisk ?? { heartbeats: [], interactions: [] };
  for (const h of atRisk.heartbeats) {
    if (h.missed > 0) risks.push(`shard ${h.shard} sent ${h.missed} gateway heartbeat${h.missed === 1 ? '' : 's'} late (every ${ms(h.intervalMs)} ms)`);
  }
  const waiting = atRisk.interactions;
  if (waiting.length > 0) {
    const late = waiting.filter((i) => i.late).length;
    risks.push(`${waiting.length} interaction${waiting.length === 1 ? '' : 's'} waiting for acknowledgement${late > 0 ? ` (${late} past the deadline)` : ''}`);
  }
  const inHandler = report.handler === null ? 'outside any handler' : `in ${describeHandler(report.handler)}`;
  return `[loopguard] the event loop stalled for ${ms(report.durationMs)} ms ${inHandler}${what}` +
    `${risks.length > 0 ? `; at risk: ${risks.join(', ')}` : ''} → ${report.hint}`;
}

/** The one line that says a report: the console's line, a test failure's line. */
export function reportLine(report: Report, cwd?: string): string {
  if (report.type === 'interaction-ack') return ackLine(report, cwd);
  if (report.type === 'stall') return stallLine(report, cwd);
  const where = describeSite(report.site, cwd);
  const via = report.via === undefined ? '' : ` inside ${report.via}`;
  const what = report.outcome === 'thrown'
    ? `${describeCall(report)} was stopped (strict mode)${report.aggregate ? ` ${report.count} more time${report.count === 1 ? '' : 's'}` : ''}`
    : report.kind === 'module-load' ? `${describeCall(report)} loaded modules from disk` : `${report.api}${report.detail === undefined ? '' : ` (${report.detail})`} blocked the event loop for ${ms(report.durationMs)} ms`;
  return `[loopguard] ${what} in ${describeHandler(report.handler)} at ${where}${via} → use ${report.hint}`;
}

/** The summary at exit: totals, the worst sites, acknowledgements and stalls, and where fixes are explained. */
export function summaryText(summary: Summary, cwd: string, worst: number): string {
  const sites = summary.sites.filter((s) => s.report.type === 'blocking-call');
  const acks = summary.sites.filter((s) => s.report.type === 'interaction-ack');
  const stalls = summary.sites.filter((s) => s.report.type === 'stall');
  if (summary.calls === 0 && acks.length === 0 && stalls.length === 0) return '';
  const lines = [
    `[loopguard] summary: ${summary.calls} blocking call${summary.calls === 1 ? '' : 's'} in handlers at ` +
      `${sites.length} site${sites.length === 1 ? '' : 's'}, ${ms(summary.blockedMs)} ms blocked in all` +
      (summary.stopped > 0 ? ` (${summary.stopped} stopped by strict mode)` : ''),
  ];
  for (const [i, s] of sites.slice(0, worst).entries()) {
    lines.push(`  ${i + 1}. ${describeCall(s.report)} ×${s.count}, ${ms(s.blockedMs)} ms (max ${ms(s.maxMs)}) at ` +
      `${describeSite(s.report.site, cwd)} in ${describeHandler(s.report.handler)}`);
  }
  if (sites.length > worst) lines.push(`  … and ${sites.length - worst} more sites`);
  const late = acks.filter((s) => s.report.outcome === 'late').reduce((n, s) => n + s.count, 0);
  const delayed = acks.reduce((n, s) => n + s.count, 0) - late;
  const deadline = (acks[0]?.report as InteractionAckReport | undefined)?.deadlineMs ?? 0;
  if (acks.length > 0) lines.push(`  interactions: ${late} acknowledged after the ${deadline / 1000} s deadline, ${delayed} acknowledged in time but delayed by blocking calls`);
  if (stalls.length > 0) {
    const count = stalls.reduce((n, s) => n + s.count, 0);
    const longest = stalls.reduce((m, s) => Math.max(m, s.maxMs), 0);
    const worstStall = stalls.reduce((a, b) => (b.blockedMs > a.blockedMs ? b : a));
    lines.push(`  stalls: ${count} (longest ${ms(longest)} ms), the worst in ${worstStall.report.api} at ${describeSite(worstStall.report.site, cwd)}`);
  }
  if (summary.overflowCalls > 0) lines.push(`  ${summary.overflowCalls} calls at sites beyond the table's cap were counted only`);
  if (summary.internalErrors > 0) lines.push(`  ${summary.internalErrors} failures inside loopguard were caught`);
  lines.push(`  how to fix each kind: ${docsIndex}`);
  return lines.join('\n') + '\n';
}

/** A BlockingCallError's message: the call, the handler, the line, the alternative, the link. */
export function strictMessage(report: Report): string {
  const via = report.via === undefined ? '' : ` (inside ${report.via})`;
  return `${describeCall(report)} would block the event loop in ${describeHandler(report.handler)} at ` +
    `${describeSite(report.site)}${via}. Use ${report.hint} instead. See ${report.docs}`;
}
