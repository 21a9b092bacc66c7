import { describe, expect, it } from 'vitest';
import { Gateways } from '../../src/discord/gateways';

/*
 * Which heartbeats a stall held up. A stall's start is its end less the loop's busy time since the
 * watchdog's last beat, so a heartbeat sent in the same busy stretch, right before the handler
 * that blocked, is timed a few ms after that start (0.4 to 4.8 ms in six runs of the e2e test on
 * Node 22); and an overdue heartbeat can go out after the stall, before the stall is judged.
 */

const interval = 200;

function gateways(...sent: number[]): Gateways {
  const g = new Gateways();
  for (const at of sent) g.heartbeatSent(0, interval, at);
  return g;
}

describe('Gateways.atRisk', () => {
  it('counts the heartbeats that fell due inside the stall, from the one sent last before it', () => {
    expect(gateways(950).atRisk(1000, 1600)).toEqual([{ shard: 0, intervalMs: interval, missed: 3 }]);
    expect(gateways(950).atRisk(1000, 1100)).toEqual([{ shard: 0, intervalMs: interval, missed: 0 }]);
  });

  it('a heartbeat timed just after the stall\'s start was sent before it blocked', () => {
    // The shard's first heartbeat, then the stall: without it, no heartbeat would be named.
    expect(gateways(1003).atRisk(1000, 1600)).toEqual([{ shard: 0, intervalMs: interval, missed: 2 }]);
    // After an earlier one: counting from that one would call the on-time heartbeat missed.
    expect(gateways(803, 1003).atRisk(1000, 1600)).toEqual([{ shard: 0, intervalMs: interval, missed: 2 }]);
  });

  it('an overdue heartbeat sent after the stall, before it was judged, does not hide the ones it missed', () => {
    expect(gateways(950, 1599).atRisk(1000, 1600)).toEqual([{ shard: 0, intervalMs: interval, missed: 3 }]);
  });

  it('names no connection whose interval is unknown, or that sent no heartbeat before the stall', () => {
    const unknown = new Gateways();
    unknown.heartbeatSent(0, undefined, 950);
    expect(unknown.atRisk(1000, 1600)).toEqual([]);
    expect(gateways(1599).atRisk(1000, 1600)).toEqual([]);
  });

  it('a connection whose interval is learnt after its first heartbeat counts from that heartbeat', () => {
    const g = new Gateways();
    g.heartbeatSent(0, undefined, 950);
    expect(g.atRisk(1000, 1600)).toEqual([]);
    g.intervalKnown(0, interval);
    expect(g.atRisk(1000, 1600)).toEqual([{ shard: 0, intervalMs: interval, missed: 3 }]);
  });
});
