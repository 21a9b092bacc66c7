import type { HandlerContext } from '../context';
import type { AtRisk, HeartbeatAtRisk, InteractionAtRisk } from '../report/types';

/*
 * What a stall puts at risk, kept by the integrations on the main thread and read when a stall
 * report is built: each gateway connection's heartbeat schedule, and the interactions whose
 * handlers have not acknowledged them yet.
 */

interface Gateway {
  intervalMs: number | undefined;
  /** Times the last heartbeats were sent (the latest last). */
  sent: number[];
}

const gateways = new Map<number, Gateway>();

/** A gateway connection sent a heartbeat; `intervalMs` when the library knows it. */
export function heartbeatSent(shard: number, intervalMs: number | undefined, at = Date.now()): void {
  let g = gateways.get(shard);
  if (g === undefined) gateways.set(shard, g = { intervalMs: undefined, sent: [] });
  if (intervalMs !== undefined) g.intervalMs = intervalMs;
  g.sent.push(at);
  if (g.sent.length > 3) g.sent.shift();
}

export interface PendingInteraction {
  readonly context: HandlerContext;
  readonly startedAt: number;
  readonly createdAt: number | undefined;
  acknowledged: boolean;
}

const pending = new Set<PendingInteraction>();
/** Discord forgets an interaction's token after 15 minutes; past that it is at no risk. */
export const forgetAfterMs = 15 * 60_000;

export function interactionStarted(p: PendingInteraction): void {
  pending.add(p);
  // Oldest first: interactions a bot never acknowledges (one it ignores) leave after 15 minutes.
  for (const old of pending) {
    if (p.startedAt - old.startedAt <= forgetAfterMs) break;
    pending.delete(old);
  }
}

export function interactionAcknowledged(p: PendingInteraction): void {
  pending.delete(p);
}

function heartbeatsAtRisk(start: number, end: number): HeartbeatAtRisk[] {
  const out: HeartbeatAtRisk[] = [];
  for (const [shard, g] of gateways) {
    if (g.intervalMs === undefined || g.intervalMs <= 0) continue;
    // The heartbeat sent last before the stall: the ones due after it fell inside the stall.
    const before = g.sent.filter((t) => t <= start).pop();
    if (before === undefined) continue;
    const firstDue = before + g.intervalMs;
    const missed = end < firstDue ? 0 : Math.floor((end - firstDue) / g.intervalMs) + 1;
    out.push({ shard, intervalMs: g.intervalMs, missed });
  }
  return out;
}

/** The interactions waiting now (read while the loop is stuck: the handler may acknowledge right after). */
export function waitingInteractions(): PendingInteraction[] {
  return [...pending];
}

function interactionsAtRisk(waiting: readonly PendingInteraction[], end: number, deadlineMs: number): InteractionAtRisk[] {
  const out: InteractionAtRisk[] = [];
  for (const p of waiting) {
    if (end - p.startedAt > forgetAfterMs) {
      pending.delete(p);
      continue;
    }
    const since = p.createdAt !== undefined && end - p.createdAt >= 0 && end - p.createdAt < 60_000 ? p.createdAt : p.startedAt;
    const waitedMs = end - since;
    const a = p.context.attributes;
    const item: InteractionAtRisk = { event: p.context.event, source: p.context.source, waitedMs, late: waitedMs > deadlineMs };
    if (typeof a['interactionId'] === 'string') item.interactionId = a['interactionId'];
    if (typeof a['commandName'] === 'string') item.commandName = a['commandName'];
    out.push(item);
  }
  return out;
}

/**
 * What was at risk during a stall from `start` to `end` (Date.now() times): `waiting` are the
 * interactions pending while it was stuck, when known, else those still pending at its end.
 */
export function atRisk(start: number, end: number, deadlineMs: number, waiting: readonly PendingInteraction[] = [...pending]): AtRisk {
  return { heartbeats: heartbeatsAtRisk(start, end), interactions: interactionsAtRisk(waiting, end, deadlineMs) };
}

export function resetAtRisk(): void {
  gateways.clear();
  pending.clear();
}
