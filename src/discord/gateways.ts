import type { HeartbeatAtRisk } from '../core/reports';

/*
 * Each gateway connection's heartbeat schedule, kept from the library's heartbeats: a stall report
 * says which heartbeats it held up (Discord closes a connection that misses about one and a half).
 */

interface Gateway {
  intervalMs: number | undefined;
  /** Times the last heartbeats were sent (the latest last). */
  sent: number[];
}

export class Gateways {
  private readonly byShard = new Map<number, Gateway>();

  /** A gateway connection sent a heartbeat; `intervalMs` when the library knows it. */
  heartbeatSent(shard: number, intervalMs: number | undefined, at = Date.now()): void {
    let g = this.byShard.get(shard);
    if (g === undefined) this.byShard.set(shard, g = { intervalMs: undefined, sent: [] });
    if (intervalMs !== undefined) g.intervalMs = intervalMs;
    g.sent.push(at);
    if (g.sent.length > 3) g.sent.shift();
  }

  /** The connection's heartbeat interval, learnt after its heartbeat was sent (the library's timer started then). */
  intervalKnown(shard: number, intervalMs: number): void {
    const g = this.byShard.get(shard);
    if (g !== undefined && g.intervalMs === undefined) g.intervalMs = intervalMs;
  }

  /** The heartbeats that fell due during a stall from `start` to `end` and were sent late. */
  atRisk(start: number, end: number): HeartbeatAtRisk[] {
    const out: HeartbeatAtRisk[] = [];
    for (const [shard, g] of this.byShard) {
      if (g.intervalMs === undefined || g.intervalMs <= 0) continue;
      // The heartbeat sent last before the stall: the ones due after it fell inside the stall.
      // Nothing is sent while the loop is stuck, so one timed inside the stall was sent at one of
      // its edges: before it began (the start is the end less the busy time since the last beat,
      // which puts it a few ms early when the heartbeat went out in the same busy stretch) or
      // after it ended (an overdue one, before the stall was judged). The midpoint tells them apart.
      const middle = (start + end) / 2;
      const before = g.sent.filter((t) => t <= middle).pop();
      if (before === undefined) continue;
      const firstDue = before + g.intervalMs;
      const missed = end < firstDue ? 0 : Math.floor((end - firstDue) / g.intervalMs) + 1;
      out.push({ shard, intervalMs: g.intervalMs, missed });
    }
    return out;
  }
}
