import type { AtRisk, HandlerObserver } from './reports';
import type { Occurrence, UnsampledCall } from './occurrence';
import type { SamplingState } from './sampling';
import type { Undo } from './undo';

/*
 * The small bus the parts of loopguard talk through, so that each depends only on this core:
 * the guard, the Discord integrations and the watchdog publish what they saw; the dispatcher (and
 * any observer: interaction acknowledgements, guardTests, the diagnostics channel) subscribes.
 * The watchdog fills the call-timing slot the guard uses; the Discord integrations register what
 * a stall puts at risk. One bus per runtime: uninstall() drops it with everything subscribed.
 */

/** Items added and taken out again. */
export class List<T> {
  private list: T[] = [];

  get items(): readonly T[] {
    return this.list;
  }

  add(item: T): Undo {
    this.list = [...this.list, item];
    return () => {
      this.list = this.list.filter((x) => x !== item);
    };
  }
}

/**
 * Listeners of one kind of message. A listener that throws does not keep the others from it. A
 * listener may say when it wants messages at all (`wants`): publishers of costly, frequent
 * messages ask `wanted()` first and build nothing when nobody does.
 */
export class Topic<T> extends List<(value: T) => void> {
  private wanting: readonly (() => boolean)[] = [];
  private before: (() => void) | undefined;

  constructor(private readonly onError: (error: unknown) => void = () => {}) {
    super();
  }

  override add(listener: (value: T) => void, wants: () => boolean = always): Undo {
    const undo = super.add(listener);
    this.wanting = [...this.wanting, wants];
    return () => {
      undo();
      const at = this.wanting.indexOf(wants);
      if (at >= 0) this.wanting = this.wanting.filter((_, i) => i !== at);
    };
  }

  /** Runs once, before the next message is told to anyone: whoever must hear it can subscribe there. */
  beforeNext(fn: (() => void) | undefined): void {
    this.before = fn;
  }

  wanted(): boolean {
    const wanting = this.wanting;
    for (let i = 0; i < wanting.length; i++) if ((wanting[i] as () => boolean)()) return true;
    return false;
  }

  publish(value: T): void {
    const before = this.before;
    if (before !== undefined) {
      this.before = undefined;
      try {
        before();
      } catch (error) {
        this.onError(error);
      }
    }
    const listeners = this.items;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (value: T) => void)(value);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

const always = (): boolean => true;

/** A failure inside loopguard: counted, and the first one is explained (unless said already). */
export interface Failure {
  error: unknown;
  where: string;
  /** Said on stderr already (loopguard's thread said why a file cannot be written). */
  said?: boolean;
}

/** The stall watchdog's view of wrapped calls: their time is their own reports'. */
export interface CallTiming {
  started(): void;
  ended(durationMs: number): void;
  /** Time a report of loopguard's own accounts for, after the fact (a lazy require). */
  explained(durationMs: number): void;
}

/** What a stall puts at risk, from one source (the Discord integrations: heartbeats, interactions). */
export interface AtRiskSource {
  /** Read on the stuck main thread: what is waiting right now (a copy; no allocation beyond it). */
  snapshot(): unknown;
  /** What was at risk during a stall from `start` to `end` (Date.now()), with the snapshot taken while stuck, if any. */
  assess(start: number, end: number, snapshot: unknown): Partial<AtRisk>;
}

/** A handler observer and where its failures are counted. */
export interface ObserverEntry {
  observer: HandlerObserver;
  onError(error: unknown, where: string): void;
}

export class Bus {
  readonly failures = new Topic<Failure>();
  private readonly failed = (error: unknown): void => this.failures.publish({ error, where: 'a loopguard listener' });
  /** Blocking calls, interaction acknowledgements and stalls, as they happen. */
  readonly occurrences = new Topic<Occurrence>(this.failed);
  /**
   * Each call at a hot site counted without its stack, for those who follow every call (sinks'
   * `observe`, the diagnostics channel): published only when `wanted()`.
   */
  readonly unsampled = new Topic<UnsampledCall>(this.failed);
  /** A sampling state counted its first call without a stack since its calls last went to a site. */
  readonly waiting = new Topic<SamplingState>(this.failed);
  /** A sampled call that is not reported (an allowed site): the unsampled calls it stood for go with it. */
  readonly discarded = new Topic<SamplingState>(this.failed);
  /** loopguard's own warnings (for stderr and the loopguard:warning channel). */
  readonly warnings = new Topic<string>(this.failed);
  /** Who follows handlers from start to settlement. */
  readonly handlerObservers = new List<ObserverEntry>();
  /** What a stall puts at risk. */
  readonly atRisk = new List<AtRiskSource>();
  /** Set while the stall watchdog runs. */
  timing: CallTiming | undefined;

  fail(error: unknown, where: string): void {
    this.failures.publish({ error, where });
  }

  warn(text: string): void {
    this.warnings.publish(text);
  }
}
