import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeNames, handlerAttribute, metricNames } from '../../../src/otel';

/*
 * examples/otel cannot run here (no Docker engine), so what its files rely on is checked: the
 * Grafana dashboard queries loopguard's metrics under the names the collector's Prometheus
 * exporter gives them, and the ports line up.
 */

const dir = resolve(__dirname, '../../../examples/otel');
const read = (file: string) => readFileSync(resolve(dir, file), 'utf8');

/** OpenTelemetry → Prometheus names (the collector's defaults): dots to underscores, unit and type suffixes. */
function prometheusNames(): Set<string> {
  const names = new Set<string>();
  for (const m of Object.values(metricNames)) {
    const unit = m.unit === 's' ? '_seconds' : ''; // `{call}`-style annotations are dropped
    const base = m.name.replace(/\./g, '_') + unit;
    if (m.unit === 's') for (const suffix of ['_bucket', '_sum', '_count']) names.add(base + suffix);
    else names.add(`${base}_total`);
  }
  return names;
}

const labels = new Set(
  [attributeNames.api, attributeNames.kind, attributeNames.outcome, handlerAttribute('source'), handlerAttribute('event')]
    .map((a) => a.replace(/\./g, '_')).concat(['le']),
);

describe('examples/otel', () => {
  const dashboard = JSON.parse(read('grafana/dashboards/loopguard.json')) as { panels: { targets: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

  it('the dashboard queries only metric names loopguard exports', () => {
    const used = new Set(exprs.flatMap((e) => e.match(/\bloopguard_[a-z_]+\b/g) ?? []).filter((n) => !labels.has(n)));
    expect(used.size).toBeGreaterThanOrEqual(3);
    for (const name of used) expect(prometheusNames()).toContain(name);
  });

  it('the dashboard groups and filters by labels that loopguard\'s metrics have', () => {
    const grouped = exprs.flatMap((e) => [...e.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim())));
    const filtered = exprs.flatMap((e) => [...e.matchAll(/\{([a-z_]+)=/g)].map((m) => m[1]!));
    for (const label of [...grouped, ...filtered]) expect(labels).toContain(label);
  });

  it('the bot\'s exporter, the collector and Prometheus agree on ports', () => {
    expect(read('compose.yaml')).toContain('"4318:4318"');
    expect(read('collector.yaml')).toMatch(/endpoint: 0\.0\.0\.0:4318/);
    expect(read('collector.yaml')).toMatch(/endpoint: 0\.0\.0\.0:8889/);
    expect(read('prometheus.yml')).toContain('collector:8889');
    expect(read('tracing.js')).toContain('http://localhost:4318'); // the exporters' default, as documented
  });
});
