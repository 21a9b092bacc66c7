import type { HandlerContext } from '../context';
import { callersOf } from '../guard/callers';
import { state } from '../guard/state';
import type { Occurrence } from '../report/dispatcher';
import type { Blocker } from '../report/types';
import { forgetAfterMs, interactionAcknowledged, interactionStarted, type PendingInteraction } from '../watchdog/at-risk';
import { undoAll, wrapMethod } from './patching';

/*
 * Interaction acknowledgements. Discord drops an interaction that is not acknowledged within 3 s.
 * For each interaction handler we add up the blocking calls that ran before its first
 * acknowledgement, and report when they delayed it, or when it came after the deadline.
 */

export const deadlineMs = 3000;
const ackHint = 'acknowledge first (deferReply/deferUpdate), then do slow work asynchronously';

/** `createdAt`: when Discord created the interaction (its snowflake), if known. */
interface Pending extends PendingInteraction {
  blockedMs: number;
  blockers: Blocker[];
}

const byContext = new WeakMap<HandlerContext, Pending>();
const byInteraction = new WeakMap<object, Pending>();
/** Libraries whose interactions are plain data (@discordjs/core) acknowledge them by id. */
const byId = new Map<string, Pending>();
let unobserve: (() => void) | undefined;

/** An interaction: the library's object for it, or its id. */
export type InteractionKey = object | string;

function observe(o: Occurrence): void {
  if (o.handler === undefined || (o.type !== undefined && o.type !== 'blocking-call')) return;
  const pending = byContext.get(o.handler);
  if (pending === undefined || pending.acknowledged) return;
  pending.blockedMs += o.durationMs;
  pending.blockers.push({ api: o.api, site: o.callers.site ?? null, durationMs: o.durationMs });
}

/** Starts watching an interaction handled in `context` (call it when the handler starts). */
export function beginInteraction(context: HandlerContext, interaction: InteractionKey, createdAt: number | undefined): void {
  if (unobserve === undefined) unobserve = state.dispatcher.observe(observe);
  const pending: Pending = { context, startedAt: Date.now(), createdAt, acknowledged: false, blockedMs: 0, blockers: [] };
  byContext.set(context, pending);
  if (typeof interaction === 'string') {
    byId.set(interaction, pending);
    // Oldest first: ids of interactions never acknowledged leave once Discord has forgotten them.
    for (const [id, old] of byId) {
      if (pending.startedAt - old.startedAt <= forgetAfterMs) break;
      byId.delete(id);
    }
  } else {
    byInteraction.set(interaction, pending);
  }
  interactionStarted(pending); // a stall meanwhile puts it at risk
}

/**
 * Called by the acknowledging methods (`reply`, `deferReply`, ...) before they run; `above` is
 * the wrapper, so the report's site is the line that acknowledged.
 */
export function acknowledging(interaction: InteractionKey, api: string, above: Function): void {
  const pending = typeof interaction === 'string' ? byId.get(interaction) : byInteraction.get(interaction);
  if (pending === undefined || pending.acknowledged) return;
  if (typeof interaction === 'string') byId.delete(interaction);
  pending.acknowledged = true;
  interactionAcknowledged(pending);
  try {
    const now = Date.now();
    const ackDelayMs = now - pending.startedAt;
    // Discord's clock (the snowflake) when it is plausible, else the handler's start.
    const sinceCreated = pending.createdAt !== undefined && now - pending.createdAt >= 0 && now - pending.createdAt < 60_000
      ? now - pending.createdAt : ackDelayMs;
    const late = Math.max(sinceCreated, ackDelayMs) > deadlineMs;
    if (pending.blockedMs <= 0 && !late) return;
    const blockers = [...pending.blockers].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5);
    state.dispatcher.record({
      type: 'interaction-ack',
      api,
      kind: 'interaction',
      hint: ackHint,
      outcome: late ? 'late' : 'delayed',
      durationMs: pending.blockedMs,
      time: now,
      handler: pending.context,
      callers: callersOf(above),
      extra: { ackDelayMs, deadlineMs, blockers },
    });
  } catch (error) {
    state.dispatcher.countError(error, 'reporting an interaction acknowledgement');
  }
}

/** Which interaction an acknowledging method answers, and what reports call the method. */
export interface Acknowledger {
  /** `interaction` (`interaction.reply`), `api.interactions` (`api.interactions.reply`). */
  prefix: string;
  interaction(self: object, args: readonly unknown[]): InteractionKey | undefined;
}

/** Methods of the interaction's own class (discord.js, Oceanic.js, Eris). */
const onInteraction: Acknowledger = { prefix: 'interaction', interaction: (self) => self };

/**
 * Patches the acknowledging methods a class has as its own (or copied onto it), so that the first
 * of them to run on an interaction marks its acknowledgement.
 */
export function patchAcknowledgers(proto: object | undefined, methods: readonly string[], how: Acknowledger = onInteraction): (() => void) | undefined {
  return undoAll(methods.map((name) => {
    if (proto === undefined || !Object.prototype.hasOwnProperty.call(proto, name)) return undefined;
    const api = `${how.prefix}.${name}`;
    return wrapMethod(proto, name, (original) => {
      const wrapper = function (this: object, ...args: unknown[]): unknown {
        const interaction = how.interaction(this, args);
        if (interaction !== undefined) acknowledging(interaction, api, wrapper);
        return Reflect.apply(original, this, args);
      };
      return wrapper as (this: unknown, ...args: unknown[]) => unknown;
    });
  }));
}

/** Stops watching (uninstall). */
export function resetAcks(): void {
  unobserve?.();
  unobserve = undefined;
  byId.clear();
}
