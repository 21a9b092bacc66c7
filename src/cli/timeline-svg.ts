import type { TimelineBucket } from './model';
import { escapeHtml } from './html-escape';
import { ms, spanText, timeText } from './format';

/*
 * The page's timeline: blocked time (blocking calls) and stalled time per bucket, stacked bars, as
 * inline SVG. Aggregates are placed at their first repeat's time, so a bar can hold up to 10 s of
 * repeats that came after it (loopguard writes aggregates every 10 s).
 */

export function timelineSvg(buckets: readonly TimelineBucket[], bucketMs: number): string {
  const width = 1100, height = 220, left = 70, right = 10, top = 14, bottom = 40;
  const plotW = width - left - right, plotH = height - top - bottom;
  if (buckets.length === 0) {
    return `<svg class="timeline" viewBox="0 0 ${width} 60" role="img" aria-label="timeline: nothing reported"><text x="${left}" y="34">Nothing reported in this window.</text></svg>`;
  }
  const peak = Math.max(...buckets.map((b) => b.blockedMs + b.stalledMs), 1e-9);
  const barW = plotW / buckets.length;
  const y = (v: number) => top + plotH - (v / peak) * plotH;
  const bars = buckets.map((b, i) => {
    const x = (left + i * barW).toFixed(1);
    const w = Math.max(1, barW - 1).toFixed(1);
    const title = `${timeText(b.time)}: ${ms(b.blockedMs)} blocked by ${b.calls} calls, ${ms(b.stalledMs)} stalled`;
    const blocked = b.blockedMs > 0 ? `<rect class="blocked" x="${x}" y="${y(b.blockedMs).toFixed(1)}" width="${w}" height="${(top + plotH - y(b.blockedMs)).toFixed(1)}"/>` : '';
    const stalled = b.stalledMs > 0 ? `<rect class="stalled" x="${x}" y="${y(b.blockedMs + b.stalledMs).toFixed(1)}" width="${w}" height="${(y(b.blockedMs) - y(b.blockedMs + b.stalledMs)).toFixed(1)}"/>` : '';
    return `<g><title>${escapeHtml(title)}</title>${blocked}${stalled}</g>`;
  }).join('');
  const first = buckets[0]!.time, last = buckets[buckets.length - 1]!.time + bucketMs;
  const ticks = [0, 0.5, 1].map((f) => {
    const x = left + f * plotW;
    const anchor = f === 0 ? 'start' : f === 1 ? 'end' : 'middle';
    return `<text x="${x.toFixed(1)}" y="${height - 20}" text-anchor="${anchor}">${escapeHtml(timeText(first + f * (last - first)))}</text>`;
  }).join('');
  return `<svg class="timeline" viewBox="0 0 ${width} ${height}" role="img" aria-label="blocked and stalled time over time">
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" class="axis"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" class="axis"/>
<text x="${left - 6}" y="${top + 10}" text-anchor="end">${escapeHtml(ms(peak))}</text>
<text x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>
${bars}${ticks}
<text x="${left}" y="${height - 4}" class="note">each bar: ${escapeHtml(spanText(bucketMs))} · blue: blocked by blocking calls · red: stalls</text>
</svg>`;
}
