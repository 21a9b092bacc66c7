import type { BlockingCallReport, InteractionAckReport, Report, StallReport } from '../core/reports';

/*
 * Report files are untrusted input: written by another version of loopguard, torn by a crash,
 * edited by hand. A line is used only when it has every field the report command reads, with the
 * right type; anything else is skipped and counted by reason, never thrown.
 */

/** Why a line was skipped. */
export type SkipReason = 'torn' | 'notJson' | 'unknownType' | 'invalid';

export type LineResult = { report: Report } | { skip: SkipReason };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';

function validSite(v: unknown): boolean {
  return v === null || (isObject(v) && isString(v['file']) && isNumber(v['line']) && isNumber(v['column'])
    && (v['function'] === undefined || isString(v['function'])));
}

function validHandler(v: unknown): boolean {
  return v === null || (isObject(v) && isString(v['source']) && isString(v['event']));
}

/** The fields every report type has. Optional text fields loopguard always writes are defaulted. */
function validBase(r: Json): boolean {
  if (!(isString(r['api']) && isString(r['kind']) && isString(r['outcome']))) return false;
  if (!(isNumber(r['durationMs']) && r['durationMs'] >= 0 && isNumber(r['maxDurationMs']) && r['maxDurationMs'] >= 0)) return false;
  if (!(isNumber(r['count']) && Number.isInteger(r['count']) && r['count'] >= 1)) return false;
  if (typeof r['aggregate'] !== 'boolean' || !isNumber(r['time']) || !isNumber(r['pid'])) return false;
  if (!validHandler(r['handler']) || !validSite(r['site'])) return false;
  for (const key of ['stack', 'hint', 'docs']) {
    if (r[key] === undefined) r[key] = '';
    else if (!isString(r[key])) return false;
  }
  for (const key of ['via', 'module', 'detail']) if (r[key] !== undefined && !isString(r[key])) return false;
  return r['estimated'] === undefined || typeof r['estimated'] === 'boolean';
}

function validBlockingCall(r: Json): r is Json & BlockingCallReport {
  return r['outcome'] === 'ran' || r['outcome'] === 'thrown';
}

/** Aggregates carry no per-event fields (an acknowledgement's delay and blockers, a stall's risks). */
const perEventAbsent = (r: Json, key: string): boolean => r['aggregate'] === true && r[key] === undefined;

function validAck(r: Json): r is Json & InteractionAckReport {
  if (!(r['outcome'] === 'late' || r['outcome'] === 'delayed')) return false;
  if (!isNumber(r['deadlineMs'])) return false;
  if (perEventAbsent(r, 'ackDelayMs') && perEventAbsent(r, 'blockers')) return true;
  if (!isNumber(r['ackDelayMs']) || !Array.isArray(r['blockers'])) return false;
  return r['blockers'].every((b) => isObject(b) && isString(b['api']) && isNumber(b['durationMs']) && validSite(b['site']));
}

function validStall(r: Json): r is Json & StallReport {
  if (!isNumber(r['thresholdMs'])) return false;
  if (perEventAbsent(r, 'atRisk')) return true;
  const risk = r['atRisk'];
  if (!isObject(risk) || !Array.isArray(risk['heartbeats']) || !Array.isArray(risk['interactions'])) return false;
  return risk['heartbeats'].every((h) => isObject(h) && isNumber(h['shard']) && isNumber(h['missed']) && isNumber(h['intervalMs']))
    && risk['interactions'].every((i) => isObject(i) && isNumber(i['waitedMs']) && typeof i['late'] === 'boolean');
}

/** One line of a report file (without its newline). `torn`: it was the file's last line, without a newline. */
export function parseLine(text: string, lastWithoutNewline: boolean): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { skip: lastWithoutNewline ? 'torn' : 'notJson' };
  }
  if (!isObject(value)) return { skip: 'notJson' };
  const type = value['type'];
  // A newer loopguard may write report types this one does not know: skipped, not misread.
  if (type !== 'blocking-call' && type !== 'interaction-ack' && type !== 'stall') return { skip: 'unknownType' };
  if (!validBase(value)) return { skip: lastWithoutNewline ? 'torn' : 'invalid' };
  const ok = type === 'blocking-call' ? validBlockingCall(value) : type === 'interaction-ack' ? validAck(value) : validStall(value);
  if (!ok) return { skip: lastWithoutNewline ? 'torn' : 'invalid' };
  return { report: value as unknown as Report };
}
