import { wrapMethod } from '../../core/patch';
import type { Undo } from '../../core/undo';
import type { ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * @discordjs/ws (under discord.js 14 and @discordjs/core): each shard's gateway heartbeats, so
 * that a stall report can say which heartbeats it held up. The interval Discord sent in HELLO is
 * the period of the shard's heartbeat timer (set after its first heartbeat).
 */

interface Shard {
  id?: unknown;
  heartbeatInterval?: { _idleTimeout?: unknown } | null;
}

function patchShard(exports: unknown, events: ClientEvents): Undo | undefined {
  const proto = (exports as { WebSocketShard?: { prototype?: object } } | undefined)?.WebSocketShard?.prototype;
  return wrapMethod(proto, 'heartbeat', (original) => function (this: unknown, ...args: unknown[]) {
    const shard = this as Shard;
    const period = shard.heartbeatInterval?._idleTimeout;
    if (events.active && typeof shard.id === 'number') events.gateways.heartbeatSent(shard.id, typeof period === 'number' && period > 0 ? period : undefined);
    return Reflect.apply(original, this, args);
  });
}

export const discordjsWs: Integration = {
  name: 'discord.js',
  package: '@discordjs/ws',
  targets: [
    { file: '@discordjs/ws', patch: patchShard },
    { file: '@discordjs/ws/dist/index.js', patch: patchShard },
  ],
};
