import type { ReportSummary } from './model';
import { count, handlerText, ms, plural, siteText, timeText } from './format';

/*
 * The terminal rendering: what a person reads after a run. Worst sites first, then stalls, then
 * interactions, and at the top what was read and skipped, so a number is never shown without
 * saying where it came from.
 */

function inputsLine(s: ReportSummary): string[] {
  const i = s.inputs;
  const parts = [`${plural(i.files.length, 'file')}`, `${plural(i.lines, 'line')}`, `${plural(i.reports, 'report')}`];
  if (s.totals.processes > 0) parts.push(`${plural(s.totals.processes, 'process', 'processes')}`);
  if (s.totals.shards.length > 0) parts.push(`${s.totals.shards.length === 1 ? 'shard' : 'shards'} ${s.totals.shards.join(', ')}`);
  const out = [`loopguard report: ${parts.join(', ')}`];
  if (s.span.first !== null && s.span.last !== null) out.push(`  from ${timeText(s.span.first)} to ${timeText(s.span.last)}`);
  const skipped = i.skipped;
  if (skipped.total > 0) {
    const why = (['torn', 'notJson', 'unknownType', 'invalid'] as const).filter((k) => skipped[k] > 0)
      .map((k) => `${count(skipped[k])} ${{ torn: 'torn last line', notJson: 'not JSON', unknownType: 'of an unknown type', invalid: 'with missing or invalid fields' }[k]}`);
    out.push(`  skipped ${plural(skipped.total, 'line')}: ${why.join(', ')}`);
  }
  if (i.emptyFiles > 0) out.push(`  ${plural(i.emptyFiles, 'empty file')} (nothing reported)`);
  if (i.missing.length > 0) out.push(`  not found: ${i.missing.join(', ')}`);
  if (i.unreadable.length > 0) out.push(`  could not read: ${i.unreadable.join(', ')}`);
  if (i.filteredOut > 0) out.push(`  ${plural(i.filteredOut, 'report')} outside the filters`);
  return out;
}

function sitesLines(s: ReportSummary, top: number): string[] {
  const t = s.totals;
  if (t.calls === 0) return ['', 'Blocking calls: none'];
  const out = ['', `Blocking calls: ${plural(t.calls, 'call')} at ${plural(t.sites, 'site')}, ${ms(t.blockedMs)} blocked in all, the longest ${ms(t.maxMs)}`
    + (t.stopped > 0 ? `; ${count(t.stopped)} stopped by strict mode` : '')];
  for (const site of s.sites.slice(0, top)) {
    const p95 = site.p95Ms === null ? 'p95 -' : `p95 ${site.p95Exact ? '' : '~'}${ms(site.p95Ms)}`;
    out.push(`${String(site.rank).padStart(3)}. ${site.api} at ${siteText(site.site)}${site.via === undefined ? '' : ` (via ${site.via})`}`);
    out.push(`     ${ms(site.blockedMs)} blocked, ×${count(site.count)}${site.stopped > 0 ? ` (${count(site.stopped)} stopped)` : ''}, max ${ms(site.maxMs)}, ${p95}, mean ${ms(site.meanMs)}${site.sampled ? ', counts estimated (sampled hot site)' : ''}`);
    const where = [site.handlers.map((h) => `${handlerText(h)} ×${count(h.count)}`).join(', ')];
    if (site.shards.length > 0) where.push(`${site.shards.length === 1 ? 'shard' : 'shards'} ${site.shards.join(', ')}`);
    if (site.processes > 1) where.push(`${count(site.processes)} processes`);
    out.push(`     in ${where.join(' · ')}`);
    if (site.hint !== '') out.push(`     → use ${site.hint}`);
  }
  if (s.sites.length > top) out.push(`     … and ${plural(s.sites.length - top, 'more site')} (--top N, --json or --html for all)`);
  if (s.sites.some((x) => !x.p95Exact)) out.push('     ~: estimated from aggregated repeats (count, total and max are exact; see docs/report.md)');
  return out;
}

function stallLines(s: ReportSummary, top: number): string[] {
  if (s.stalls.length === 0) return ['', 'Stalls: none'];
  const out = ['', `Stalls: ${plural(s.totals.stalls, 'stall')} at ${plural(s.stalls.length, 'site')}, the loop held for ${ms(s.totals.stalledMs)} in all`];
  for (const st of s.stalls.slice(0, top)) {
    out.push(`${String(st.rank).padStart(3)}. ${st.api} at ${siteText(st.site)}: ×${count(st.count)}, ${ms(st.stalledMs)} (max ${ms(st.maxMs)}, threshold ${ms(st.thresholdMs)})`);
    out.push(`     in ${st.handlers.map((h) => `${handlerText(h)} ×${count(h.count)}`).join(', ')}${st.shards.length > 0 ? ` · ${st.shards.length === 1 ? 'shard' : 'shards'} ${st.shards.join(', ')}` : ''}`);
    const r = st.atRisk;
    const risk: string[] = [];
    if (r.heartbeatsMissed > 0) risk.push(`${plural(r.heartbeatsMissed, 'gateway heartbeat')} late (shard ${r.heartbeatShards.join(', ')})`);
    if (r.interactionsWaiting > 0) risk.push(`${plural(r.interactionsWaiting, 'interaction')} waiting for acknowledgement${r.interactionsLate > 0 ? `, ${count(r.interactionsLate)} past the deadline` : ''}`);
    const of = r.individually < st.count ? ` (of the ${count(r.individually)} reported one by one)` : '';
    out.push(`     at risk${of}: ${risk.length > 0 ? risk.join('; ') : 'nothing seen'}`);
  }
  return out;
}

function interactionLines(s: ReportSummary, top: number): string[] {
  if (s.interactions.length === 0) return ['', 'Interactions acknowledged late or delayed: none'];
  const out = ['', `Interactions: ${count(s.totals.lateAcks)} acknowledged late (after Discord's deadline), ${count(s.totals.delayedAcks)} delayed by blocking calls`];
  for (const a of s.interactions.slice(0, top)) {
    const commands = a.commands.length > 0 ? ` for ${a.commands.map((c) => `/${c.name} ×${count(c.count)}`).join(', ')}` : '';
    out.push(`${String(a.rank).padStart(3)}. ${a.api} at ${siteText(a.site)}${commands}: ${count(a.late)} late, ${count(a.delayed)} delayed, ${ms(a.blockedMs)} blocked before acknowledging`
      + (a.maxAckDelayMs === null ? '' : `; acknowledged up to ${ms(a.maxAckDelayMs)} after the handler started (deadline ${ms(a.deadlineMs)})`));
    for (const b of a.blockers.slice(0, 5)) out.push(`     blocked by ${b.api} at ${siteText(b.site)}: ${ms(b.durationMs)} in ${plural(b.interactions, 'interaction')}`);
  }
  return out;
}

export function renderText(s: ReportSummary, top: number): string {
  const lines = [...inputsLine(s), ...sitesLines(s, top), ...stallLines(s, top), ...interactionLines(s, top)];
  if (s.failOn !== null) {
    lines.push('');
    for (const c of s.failOn.conditions) lines.push(`--fail-on ${c.expression}: ${c.hit ? 'HIT' : 'ok'} (${count(Math.round(c.value * 100) / 100)})`);
  }
  return lines.join('\n') + '\n';
}
