/*
 * Times for --since and --until: an ISO 8601 date or date-time (`2024-05-01`,
 * `2024-05-01T12:00:00Z`; without a zone it is local time, as Date.parse reads it), or a duration
 * back from now (`90s`, `15m`, `1h`, `2d`, `1w`).
 */

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds since the epoch, or an Error saying what is accepted. */
export function parseTime(text: string, now = Date.now()): number | Error {
  const relative = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (relative !== null) return now - Number(relative[1]) * units[relative[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const time = Date.parse(text.trim());
    if (!Number.isNaN(time)) return time;
  }
  return new Error(`"${text}" is not a time: use an ISO date (2024-05-01, 2024-05-01T12:00:00Z) or a duration back from now (30m, 1h, 2d)`);
}
