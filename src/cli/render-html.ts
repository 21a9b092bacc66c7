import type { CallSite, HandlerCount, InteractionSite, ReportSummary, StallSite } from './model';
import { count, handlerText, ms, plural, siteText, spanText, timeText } from './format';
import { escapeHtml as e } from './html-escape';
import { timelineSvg } from './timeline-svg';

/*
 * One self-contained page: inline CSS and SVG, no script, nothing fetched. The Content-Security-
 * Policy forbids every load, so even text that escaped escaping could not reach the network. Each
 * section says in a sentence what it shows, for readers who never saw a report file.
 */

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;margin:24px auto;max-width:1160px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #dde2e8;padding-bottom:4px}
p.lead,.muted{color:#58626e}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}
.card{border:1px solid #dde2e8;border-radius:8px;padding:10px 14px;min-width:150px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef1f4;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#58626e}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}pre{background:#f5f7f9;padding:8px;font-size:11.5px;margin:6px 0;white-space:pre-wrap;word-break:break-all}
details summary{cursor:pointer;color:#2f5fb3}.hint{color:#2d6a3e}.warn{color:#a23b2a}
svg.timeline{width:100%;height:auto;border:1px solid #dde2e8;border-radius:8px;background:#fff}
svg .blocked{fill:#4a78c9}svg .stalled{fill:#d0473a}svg .axis{stroke:#8a939e}svg text{font-size:12px;fill:#4a535e}svg .note{fill:#7a838e}
`;

const handlers = (list: readonly HandlerCount[]) => list.map((h) => `${e(handlerText(h))} ×${e(count(h.count))}`).join('<br>');

function siteRow(s: CallSite): string {
  const p95 = s.p95Ms === null ? '–' : `${s.p95Exact ? '' : '~'}${e(ms(s.p95Ms))}`;
  const where = [s.shards.length > 0 ? `${s.shards.length === 1 ? 'shard' : 'shards'} ${e(s.shards.join(', '))}` : '', s.processes > 1 ? `${e(count(s.processes))} processes` : '']
    .filter(Boolean).join(' · ');
  return `<tr class="site">
<td class="n">${e(s.rank)}</td>
<td><code>${e(s.api)}</code>${s.via === undefined ? '' : ` <span class="muted">via ${e(s.via)}</span>`}<br><code>${e(siteText(s.site))}</code>
${s.hint === '' ? '' : `<div class="hint">→ use ${e(s.hint)}</div>`}
<details${s.rank === 1 ? ' open' : ''}><summary>stack</summary><pre>${e(s.stack === '' ? '(no stack in the report)' : s.stack)}</pre></details></td>
<td class="n">${e(ms(s.blockedMs))}</td><td class="n">${e(count(s.count))}${s.stopped > 0 ? `<br><span class="muted">${e(count(s.stopped))} stopped</span>` : ''}</td>
<td class="n">${e(ms(s.maxMs))}</td><td class="n">${p95}</td><td class="n">${e(ms(s.meanMs))}</td>
<td>${handlers(s.handlers)}${where === '' ? '' : `<br><span class="muted">${where}</span>`}${s.sampled ? '<br><span class="muted">counts estimated (sampled)</span>' : ''}</td>
</tr>`;
}

function stallRow(s: StallSite): string {
  const r = s.atRisk;
  const risk = [
    r.heartbeatsMissed > 0 ? `${e(plural(r.heartbeatsMissed, 'gateway heartbeat'))} late (shard ${e(r.heartbeatShards.join(', '))})` : '',
    r.interactionsWaiting > 0 ? `${e(plural(r.interactionsWaiting, 'interaction'))} waiting${r.interactionsLate > 0 ? `, ${e(count(r.interactionsLate))} past the deadline` : ''}` : '',
  ].filter(Boolean).join('<br>') || 'nothing seen';
  return `<tr>
<td class="n">${e(s.rank)}</td>
<td><code>${e(s.api)}</code><br><code>${e(siteText(s.site))}</code>
<details><summary>stack</summary><pre>${e(s.stack === '' ? '(no stack: see the report\'s outcome)' : s.stack)}</pre></details></td>
<td class="n">${e(ms(s.stalledMs))}</td><td class="n">${e(count(s.count))}</td><td class="n">${e(ms(s.maxMs))}</td>
<td>${handlers(s.handlers)}</td>
<td>${risk}${r.individually < s.count ? `<br><span class="muted">of the ${e(count(r.individually))} reported one by one</span>` : ''}</td>
</tr>`;
}

function interactionRow(a: InteractionSite): string {
  const blockers = a.blockers.slice(0, 5).map((b) => `<code>${e(b.api)}</code> at <code>${e(siteText(b.site))}</code>: ${e(ms(b.durationMs))}`).join('<br>');
  return `<tr>
<td class="n">${e(a.rank)}</td>
<td><code>${e(a.api)}</code><br><code>${e(siteText(a.site))}</code>${a.commands.length > 0 ? `<br>${a.commands.map((c) => `/${e(c.name)} ×${e(count(c.count))}`).join(', ')}` : ''}</td>
<td class="n${a.late > 0 ? ' warn' : ''}">${e(count(a.late))}</td><td class="n">${e(count(a.delayed))}</td>
<td class="n">${a.maxAckDelayMs === null ? '–' : e(ms(a.maxAckDelayMs))}</td><td class="n">${e(ms(a.blockedMs))}</td>
<td>${blockers || '–'}</td>
</tr>`;
}

export function renderHtml(s: ReportSummary, top: number): string {
  const t = s.totals, i = s.inputs;
  const span = s.span.first === null || s.span.last === null ? 'no reports' : `${timeText(s.span.first)} – ${timeText(s.span.last)}`;
  const skipped = i.skipped.total + i.unreadable.length + i.missing.length;
  const card = (value: string, label: string, warn = false) => `<div class="card"><b class="${warn ? 'warn' : ''}">${e(value)}</b>${e(label)}</div>`;
  const sites = s.sites.slice(0, top);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loopguard report</title><style>${style}</style></head><body>
<h1>loopguard report</h1>
<p class="lead">Where this bot's event handlers blocked its event loop: while a handler blocks, no other event,
gateway heartbeat or interaction is handled. ${e(span)} · ${e(plural(i.files.length, 'report file'))} · ${e(plural(t.processes, 'process', 'processes'))}${t.shards.length > 0 ? ` · ${e(t.shards.length === 1 ? 'shard' : 'shards')} ${e(t.shards.join(', '))}` : ''}.</p>
<div class="cards">
${card(ms(t.blockedMs), 'blocked by blocking calls')}${card(count(t.calls), `blocking calls at ${plural(t.sites, 'site')}`)}
${card(ms(t.maxMs), 'the longest single call')}${card(count(t.stalls), `stalls, ${ms(t.stalledMs)}`, t.stalls > 0)}
${card(count(t.lateAcks), 'interactions acknowledged late', t.lateAcks > 0)}${card(count(t.delayedAcks), 'interactions delayed')}
</div>
<h2>Timeline</h2>
<p class="muted">Time the loop was blocked, per bar. Repeats at a site are reported every 10 s, so they stand at the time of their first repeat.</p>
${timelineSvg(s.timeline.buckets, s.timeline.bucketMs)}
<h2>Call sites, worst first</h2>
<p class="muted">Each row is one line of code that made a blocking call inside an event handler, ranked by the time it blocked the loop in all.
p95: 95% of its calls blocked this long or less; ~ marks an estimate (repeats are reported as count, total and longest, not one by one).
<i>stack</i> shows how the handler got there (open for the worst site).</p>
${sites.length === 0 ? '<p>No blocking calls.</p>' : `<table><thead><tr><th style="width:3%">#</th><th style="width:37%">call and line</th><th style="width:9%">blocked</th><th style="width:7%">calls</th><th style="width:8%">max</th><th style="width:8%">p95</th><th style="width:8%">mean</th><th style="width:20%">handler events</th></tr></thead><tbody>
${sites.map(siteRow).join('\n')}</tbody></table>`}
${s.sites.length > top ? `<p class="muted">… and ${e(plural(s.sites.length - top, 'more site'))} (loopguard report --top N).</p>` : ''}
<h2>Stalls</h2>
<p class="muted">The loop did not turn for longer than the threshold, held by code no wrapper sees (a CPU loop, a big JSON.parse, a native call). "At risk": what waited meanwhile.</p>
${s.stalls.length === 0 ? '<p>No stalls.</p>' : `<table><thead><tr><th style="width:3%">#</th><th style="width:37%">function and line</th><th style="width:9%">stalled</th><th style="width:7%">stalls</th><th style="width:8%">max</th><th style="width:16%">handler events</th><th style="width:20%">at risk</th></tr></thead><tbody>
${s.stalls.slice(0, top).map(stallRow).join('\n')}</tbody></table>`}
<h2>Interactions acknowledged late or delayed</h2>
<p class="muted">Discord drops an interaction not acknowledged within ${e(spanText(s.interactions[0]?.deadlineMs ?? 3000))}: "late" ones showed the user "The application did not respond"; "delayed" ones were answered in time, after blocking calls.</p>
${s.interactions.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th style="width:3%">#</th><th style="width:33%">acknowledged at</th><th style="width:6%">late</th><th style="width:8%">delayed</th><th style="width:10%">longest wait</th><th style="width:10%">blocked before</th><th style="width:30%">blocked by</th></tr></thead><tbody>
${s.interactions.slice(0, top).map(interactionRow).join('\n')}</tbody></table>`}
<h2>Input</h2>
<p class="muted">${e(plural(i.lines, 'line'))} read, ${e(plural(i.reports, 'report'))} used${i.filteredOut > 0 ? `, ${e(count(i.filteredOut))} outside the filters` : ''}.
${skipped > 0 ? `<span class="warn">Skipped: ${e(count(i.skipped.torn))} torn, ${e(count(i.skipped.notJson))} not JSON, ${e(count(i.skipped.unknownType))} of an unknown type, ${e(count(i.skipped.invalid))} invalid; ${e(count(i.missing.length))} not found, ${e(count(i.unreadable.length))} unreadable.</span>` : 'Nothing skipped.'}</p>
<ul class="muted">${i.files.map((f) => `<li><code>${e(f.path)}</code>: ${e(plural(f.lines, 'line'))}${f.skipped > 0 ? `, ${e(count(f.skipped))} skipped` : ''}</li>`).join('')}</ul>
<p class="muted">Made by <code>loopguard report</code> at ${e(s.generatedAt)}.</p>
</body></html>
`;
}
