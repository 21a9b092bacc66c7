import type { Bus } from '../core/bus';
import { callersOf } from '../core/call-sites';
import { currentHandler, HandlerState, originOf, type HandlerContext } from '../core/context';
import type { Occurrence } from '../core/occurrence';
import type { Blocker, InteractionAtRisk } from '../core/reports';
import type { Undo } from '../core/undo';
import { interactionDeadlineMs, interactionLifetimeMs } from './constants';

/*
 * Interaction acknowledgements. Discord drops an interaction that is not acknowledged within 3 s.
 * For each interaction handler the blocking calls that ran before its first acknowledgement are
 * added up, and a report says when they delayed it by `delayedFromMs` or more (less is noise
 * nobody acts on: 50 µs of a SQLite read), or when it came after the deadline (always). The
 * interactions still waiting are what a stall puts at risk.
 */

const ackHint = 'acknowledge first (deferReply/deferUpdate), then do slow work asynchronously';
/** Discord's clock (the snowflake) is trusted when it is this close to ours. */
const plausibleClockMs = 60_000;

interface Pending {
  readonly context: HandlerContext;
  readonly startedAt: number;
  /** When Discord created the interaction (its snowflake), if known. */
  readonly createdAt: number | undefined;
  /** The id it is acknowledged by (libraries whose interactions are plain data). */
  readonly id: string | undefined;
  acknowledged: boolean;
  blockedMs: number;
  blockers: Blocker[];
}

/** An interaction: the library's object for it, or its id (libraries whose interactions are plain data). */
export type InteractionKey = object | string;

export class Interactions {
  private readonly byContext = new HandlerState<Pending>();
  private readonly byObject = new WeakMap<object, Pending>();
  private readonly byId = new Map<string, Pending>();
  /** Not acknowledged yet, oldest first. */
  private readonly waiting = new Set<Pending>();
  private unsubscribe: Undo | undefined;
  /**
   * Blocking before an acknowledgement that makes it worth a "delayed" report: the settings'
   * ackBlockedMs, set by the runtime (0 here: any blocking counts).
   */
  delayedFromMs = 0;

  constructor(private readonly bus: Bus) {}

  /** Starts watching an interaction handled in `context` (when its handler starts). */
  begin(context: HandlerContext, interaction: InteractionKey, createdAt: number | undefined): void {
    this.unsubscribe ??= this.bus.occurrences.add((o) => this.blocked(o));
    const id = typeof interaction === 'string' ? interaction : undefined;
    const pending: Pending = { context, startedAt: Date.now(), createdAt, id, acknowledged: false, blockedMs: 0, blockers: [] };
    this.byContext.set(context, pending);
    if (typeof interaction === 'string') this.byId.set(interaction, pending);
    else this.byObject.set(interaction, pending);
    this.waiting.add(pending);
    // Oldest first: interactions a bot never acknowledges (one it ignores) leave once Discord forgot them.
    for (const old of this.waiting) {
      if (pending.startedAt - old.startedAt <= interactionLifetimeMs) break;
      this.forget(old);
    }
  }

  /**
   * Called by the acknowledging methods (`reply`, `deferReply`, ...) before they run; `above` is
   * the wrapper, so the report's site is the line that acknowledged.
   */
  acknowledging(interaction: InteractionKey, api: string, above: Function): void {
    const pending = typeof interaction === 'string' ? this.byId.get(interaction) : this.byObject.get(interaction);
    if (pending === undefined || pending.acknowledged) return;
    pending.acknowledged = true;
    this.forget(pending);
    try {
      const now = Date.now();
      const ackDelayMs = now - pending.startedAt;
      const late = Math.max(this.sinceCreated(pending, now), ackDelayMs) > interactionDeadlineMs;
      if (!late && (pending.blockedMs <= 0 || pending.blockedMs < this.delayedFromMs)) return;
      const blockers = [...pending.blockers].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5);
      this.bus.occurrences.publish({
        type: 'interaction-ack',
        api,
        kind: 'interaction',
        hint: ackHint,
        outcome: late ? 'late' : 'delayed',
        durationMs: pending.blockedMs,
        time: now,
        handler: this.acknowledgedIn(pending),
        callers: callersOf(above),
        extra: { ackDelayMs, deadlineMs: interactionDeadlineMs, blockers },
      });
    } catch (error) {
      this.bus.fail(error, 'reporting an interaction acknowledgement');
    }
  }

  /** The interactions waiting now (read on the stuck main thread: a handler may acknowledge right after). */
  snapshot(): readonly object[] {
    return [...this.waiting];
  }

  /** The interactions of `snapshot` (else those waiting now) as a stall ending at `end` left them. */
  atRisk(end: number, snapshot: readonly object[] | undefined): InteractionAtRisk[] {
    const out: InteractionAtRisk[] = [];
    for (const p of (snapshot ?? [...this.waiting]) as Pending[]) {
      if (end - p.startedAt > interactionLifetimeMs) continue;
      const waitedMs = this.sinceCreated(p, end);
      const a = p.context.attributes;
      const item: InteractionAtRisk = { event: p.context.event, source: p.context.source, waitedMs, late: waitedMs > interactionDeadlineMs };
      if (typeof a['interactionId'] === 'string') item.interactionId = a['interactionId'];
      if (typeof a['commandName'] === 'string') item.commandName = a['commandName'];
      out.push(item);
    }
    return out;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.byId.clear();
    this.waiting.clear();
  }

  /**
   * The handler context the acknowledgement came in: a framework's part of the interaction's
   * handler (its command, with the framework's attributes), else the handler's own.
   */
  private acknowledgedIn(pending: Pending): HandlerContext {
    const current = currentHandler();
    return current !== undefined && originOf(current) === pending.context ? current : pending.context;
  }

  /** A blocking call in an interaction's handler (or a part of it), before its acknowledgement. */
  private blocked(o: Occurrence): void {
    if (o.handler === undefined || (o.type !== undefined && o.type !== 'blocking-call')) return;
    const pending = this.byContext.get(originOf(o.handler));
    if (pending === undefined || pending.acknowledged) return;
    pending.blockedMs += o.durationMs;
    pending.blockers.push({ api: o.api, site: o.callers.site ?? null, durationMs: o.durationMs });
  }

  /** Discord's clock (the snowflake) when it is plausible, else the handler's start. */
  private sinceCreated(p: Pending, now: number): number {
    const created = p.createdAt;
    return created !== undefined && now - created >= 0 && now - created < plausibleClockMs ? now - created : now - p.startedAt;
  }

  private forget(p: Pending): void {
    this.waiting.delete(p);
    if (p.id !== undefined && this.byId.get(p.id) === p) this.byId.delete(p.id);
  }
}
