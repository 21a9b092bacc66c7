import type { ApiEntry } from '../apis/types';
import { List, type Bus } from '../core/bus';
import type { Settings } from '../config/settings';
import { outsideHandlers } from '../core/context';
import { compileMatchers, nameMatcher, pathMatcher } from '../core/glob';
import { redraw, type SamplingState } from '../core/sampling';

/** A wrapped API as the guard uses it: the table entry plus what settings decided about it. */
export interface GuardedApi {
  readonly entry: ApiEntry;
  /** Allowed by `allowApis`: the wrapper calls straight through (and so do the calls inside it). */
  allowed: boolean;
  /** Sampling state per handler kind (see core/sampling.ts). */
  readonly sampling: Map<string, SamplingState>;
  /**
   * The kind looked up last and its state (undefined past the cap): a bot's hot calls come from
   * one kind at a time, and the map's lookup by string is about 10 ns of a 60 ns judged call.
   */
  lastKind: string | undefined;
  lastSampling: SamplingState | undefined;
}

/** A `require()` in progress inside a handler; blocking calls below it belong to it. */
export interface LoadFrame {
  readonly id: string;
  touched: boolean;
  /** Strict mode stopped the load: it is reported already, and every further read throws this too. */
  stopped: Error | undefined;
  /** The load is not judged (a dependency's, or an allowed site). */
  accepted: boolean;
}

/*
 * What every wrapper reads: one object per runtime, so that the hot path reads plain fields. The
 * wrappers close over it; `uninstall()` deactivates it, and a wrapper that cannot be taken out
 * (another tool wrapped it in turn) then calls straight through.
 */
export class Guard {
  settings!: Settings;
  /** Judging calls: installed, and mode not `off`. */
  active = true;
  /**
   * Mode `strict`, and the sampleAbove setting: read by every judged call, so kept here beside the
   * other fields it reads rather than in the settings object (one more object to reach per call).
   */
  strict = false;
  sampleAbove = Infinity;
  /** `scope: all` and start-up is over: calls outside handlers are judged too. */
  judgesAll = false;
  /** Guarded calls in progress on the stack: nested public calls (readFileSync → openSync) count once. */
  depth = 0;
  loading: LoadFrame | undefined;
  /** Package calls (quick.db → better-sqlite3) begun and not finished (a promise one may never settle). */
  openPackageCalls = 0;
  /**
   * The sampling's clock (core/sampling.ts): seconds counted by a timer of the guard's while calls
   * read them (`readingSeconds`). Untimed calls compare it, and read no clock. A second in which no
   * call read it stops the timer until the next call: an idle bot's loop is not woken every second
   * for it. That call then reads a second that no earlier call saw, as after a tick.
   */
  second = 0;
  /** A call read `second` since the clock's last tick. */
  secondRead = false;
  private clock: NodeJS.Timeout | undefined;
  allowedSite: (file: string) => boolean = () => false;
  allowedApi: (api: string) => boolean = () => false;
  readonly apis: GuardedApi[] = [];
  /**
   * Called before each require() of a package or builtin the app makes (not of a file: `./x`,
   * `/x`), with the requiring module (must not throw).
   */
  readonly requireListeners = new List<(id: string, parent: unknown) => void>();
  private afterStartup = false;

  constructor(readonly bus: Bus, settings: Settings) {
    this.apply(settings);
  }

  /** Puts settings in force (allow-lists, mode). */
  apply(settings: Settings): void {
    this.settings = settings;
    this.active = settings.mode !== 'off';
    this.strict = settings.mode === 'strict';
    if (settings.sampleAbove !== this.sampleAbove) {
      // The next timed call of each hot site was drawn for the old rate: drawn again.
      for (const g of this.apis) for (const sampling of g.sampling.values()) redraw(sampling);
      this.sampleAbove = settings.sampleAbove;
    }
    this.judgesAll = this.active && this.afterStartup && settings.scope === 'all';
    this.allowedSite = compileMatchers(settings.allowSites, pathMatcher);
    const allowedApi = compileMatchers(settings.allowApis, nameMatcher);
    this.allowedApi = allowedApi;
    for (const g of this.apis) g.allowed = allowedApi(g.entry.api);
  }

  add(entry: ApiEntry): GuardedApi {
    const g: GuardedApi = { entry, allowed: this.allowedApi(entry.api), sampling: new Map(), lastKind: undefined, lastSampling: undefined };
    this.apis.push(g);
    return g;
  }

  /** A call reads `second` (samplingOf, before it does): the clock runs, again if a quiet second stopped it. */
  readingSeconds(): void {
    this.secondRead = true;
    this.startClock();
  }

  /**
   * Starts the sampling's clock, if it is not running: one tick a second, outside any handler, not
   * keeping the process alive, until a second passes without a call reading it. Stopped by `deactivate()`.
   */
  private startClock(): void {
    if (this.clock !== undefined || this.retired) return;
    this.clock = outsideHandlers(() => setInterval(() => {
      this.second++;
      if (this.secondRead) this.secondRead = false;
      else this.stopClock();
    }, 1000).unref());
  }

  private stopClock(): void {
    if (this.clock !== undefined) clearInterval(this.clock);
    this.clock = undefined;
  }

  /** Whether the event loop has turned: start-up (loading the app) is over. */
  get startupOver(): boolean {
    return this.afterStartup;
  }

  /** The first turn of the event loop: start-up (loading the app) is over. */
  endStartup(): void {
    this.afterStartup = true;
    this.judgesAll = this.active && this.settings.scope === 'all';
  }

  /** Uninstalled: its wrappers only call through, and a new runtime may wrap them again. */
  retired = false;

  /** Every wrapper calls straight through from now on. */
  deactivate(): void {
    this.retired = true;
    this.afterStartup = false;
    this.active = false;
    this.judgesAll = false;
    this.depth = 0;
    this.loading = undefined;
    this.stopClock();
  }
}
