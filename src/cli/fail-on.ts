import type { ReportSummary } from './model';

/*
 * --fail-on: conditions that make the command exit 1, for a CI step over a test run's report
 * files. A condition is a measure, optionally compared with a threshold (`stalls` means
 * `stalls>0`); several are given as repeated flags or separated by commas, and any one that holds
 * fails the run.
 *
 *   blocked>100ms    a single blocking call blocked the loop for more than 100 ms
 *   total>1s         blocked time in all, over every call
 *   p95>20ms         some call site's 95th percentile (estimated where aggregates hide calls)
 *   calls>0          blocking calls (strict mode's stopped calls included)
 *   sites>3          distinct call sites
 *   stalls           stalls (the loop held by code no wrapper sees)
 *   late-acks        interactions acknowledged after Discord's 3 s deadline
 *   delayed-acks     interactions acknowledged after blocking calls delayed them
 *   damaged          lines skipped (torn, not JSON, unknown type, invalid) or files unreadable
 *   missing          arguments that named no file
 */

type Measure = 'duration' | 'count';

const measures: Record<string, { measure: Measure; value: (s: ReportSummary) => number }> = {
  blocked: { measure: 'duration', value: (s) => s.totals.maxMs },
  total: { measure: 'duration', value: (s) => s.totals.blockedMs },
  p95: { measure: 'duration', value: (s) => Math.max(0, ...s.sites.map((x) => x.p95Ms ?? 0)) },
  calls: { measure: 'count', value: (s) => s.totals.calls },
  sites: { measure: 'count', value: (s) => s.totals.sites },
  stalls: { measure: 'count', value: (s) => s.totals.stalls },
  'late-acks': { measure: 'count', value: (s) => s.totals.lateAcks },
  'delayed-acks': { measure: 'count', value: (s) => s.totals.delayedAcks },
  damaged: { measure: 'count', value: (s) => s.inputs.skipped.total + s.inputs.unreadable.length },
  missing: { measure: 'count', value: (s) => s.inputs.missing.length },
};

export const failOnNames = Object.keys(measures);

export interface Condition {
  expression: string;
  name: string;
  op: '>' | '>=';
  threshold: number;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Parses every condition of the flags' values; an Error names the first one that is not understood. */
export function parseConditions(values: readonly string[]): Condition[] | Error {
  const conditions: Condition[] = [];
  for (const expression of values.flatMap((v) => v.split(',')).map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([a-z0-9-]+)\s*(?:(>=|>)\s*(\d+(?:\.\d+)?)\s*([a-z]*))?$/.exec(expression);
    const known = m === null ? undefined : measures[m[1]!];
    if (m === null || known === undefined) {
      return new Error(`--fail-on "${expression}": expected NAME or NAME>VALUE with NAME one of ${failOnNames.join(', ')}`);
    }
    const [, name, op = '>', number = '0', unit = ''] = m;
    let threshold = Number(number);
    if (known.measure === 'duration') {
      const scale = durationUnits[unit === '' ? 'ms' : unit];
      if (scale === undefined) return new Error(`--fail-on "${expression}": a duration takes ms, s or m (100ms, 1.5s)`);
      threshold *= scale;
    } else if (unit !== '') {
      return new Error(`--fail-on "${expression}": ${name} is a count, without a unit`);
    }
    conditions.push({ expression, name: name!, op: op as Condition['op'], threshold });
  }
  return conditions;
}

export function evaluate(conditions: readonly Condition[], summary: ReportSummary): NonNullable<ReportSummary['failOn']> {
  const results = conditions.map((c) => {
    const value = measures[c.name]!.value(summary);
    return { expression: c.expression, value, hit: c.op === '>' ? value > c.threshold : value >= c.threshold };
  });
  return { conditions: results, hit: results.some((r) => r.hit) };
}
