import { wrapMethod } from '../../core/patch';
import type { Undo } from '../../core/undo';
import type { ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * @discordjs/ws (under discord.js 14 and @discordjs/core): each shard's gateway heartbeats, so
 * that a stall report can say which heartbeats it held up. The interval Discord sent in HELLO is
 * the period of the shard's heartbeat timer, which the shard starts once its first heartbeat is
 * sent (`await this.heartbeat()`, then setInterval): read right after that, not at the second
 * heartbeat, which with Discord's 41.25 s comes up to 82 s after connecting (a stall in a
 * `ready` handler then held up heartbeats that no report named).
 */

interface Shard {
  id?: unknown;
  heartbeatInterval?: { _idleTimeout?: unknown } | null;
}

function patchShard(exports: unknown, events: ClientEvents): Undo | undefined {
  const proto = (exports as { WebSocketShard?: { prototype?: object } } | undefined)?.WebSocketShard?.prototype;
  return wrapMethod(proto, 'heartbeat', (original) => function (this: unknown, ...args: unknown[]) {
    const shard = this as Shard;
    const period = periodOf(shard);
    const tracked = events.active && typeof shard.id === 'number';
    if (tracked) events.gateways.heartbeatSent(shard.id as number, period);
    const sent: unknown = Reflect.apply(original, this, args);
    if (tracked && period === undefined) afterTimerStarts(sent, shard, events);
    return sent;
  });
}

function periodOf(shard: Shard): number | undefined {
  const period = shard.heartbeatInterval?._idleTimeout;
  return typeof period === 'number' && period > 0 ? period : undefined;
}

/**
 * Once the heartbeat's promise settles: this reaction runs before the shard's `await` resumes
 * (it was attached first), and a microtask queued from it after, when the timer is set. A
 * heartbeat without a timer yet is one the shard awaits (the first, or one the gateway asked
 * for): its rejection reaches the shard as before, the reaction here only sees it.
 */
function afterTimerStarts(sent: unknown, shard: Shard, events: ClientEvents): void {
  if (!(sent instanceof Promise)) return;
  const learn = (): void => queueMicrotask(() => {
    const period = periodOf(shard);
    if (period !== undefined) events.gateways.intervalKnown(shard.id as number, period);
  });
  sent.then(learn, () => {});
}

export const discordjsWs: Integration = {
  name: 'discord.js',
  package: '@discordjs/ws',
  targets: [
    { file: '@discordjs/ws', patch: patchShard },
    { file: '@discordjs/ws/dist/index.js', patch: patchShard },
  ],
};
