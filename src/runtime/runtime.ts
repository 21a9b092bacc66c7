import { nodeApis } from '../apis/node';
import type { Target } from '../apis/resolve';
import { ConfigError, defaults, settingsFromOptions, type Options, type Settings } from '../config/settings';
import { Bus, type ObserverEntry } from '../core/bus';
import { onBun } from '../core/bun';
import { channels } from '../core/channels';
import { outsideHandlers } from '../core/context';
import type { Occurrence } from '../core/occurrence';
import { packageRoot } from '../core/own-files';
import { raw } from '../core/raw';
import type { Sink, Summary } from '../core/reports';
import { UndoStack, type Undo } from '../core/undo';
import { version } from '../core/version';
import { chooseIntegrations, Discord } from '../discord/index';
import { Guard, type GuardedApi } from '../guard/guard';
import { requireWrapping, syncEsm, warnAboutEarlyCopies, wrapBuiltins, wrapTargets } from '../guard/install';
import { packageEsmHooks, packageFileHooks } from '../guard/package-apis';
import { hookEsmPackages } from '../hooks/esm-packages';
import { hookPackageFiles } from '../hooks/package-files';
import { apiInstalled } from '../sinks/otel/api';
import type { Lines, LinesTarget } from '../thread/client';
import { newSlots } from '../thread/protocol';
// In the package, a bundle of its own: the first use of an export here loads it (never at load).
import { checkReportFile, Reporting } from './reporting';
import { containStrictErrors } from './strict-containment';
import { slotsPublisher, type SlotsPublisher } from './worker-slots';

/*
 * The composition root: the only place that knows sinks, integrations, the watchdog and
 * loopguard's thread exist. One Runtime owns everything installed — settings, the bus, the guard,
 * the Discord integrations, reporting (the dispatcher, the sinks, the thread, the watchdog) — and
 * one undo stack: `configure()` changes it in place (the same files, the same counters),
 * `uninstall()` runs the stack in reverse. Reporting is made when first needed (see reports()).
 * Other copies of loopguard in the process use it through RuntimeApi.
 */

export interface InstallResult {
  /** false when another copy of loopguard was installed first (this one stays inactive). */
  active: boolean;
  wrapped: number;
}

/** What other copies of loopguard use of the installed one (stable across versions: v1). */
export interface RuntimeApi {
  readonly version: string;
  /** The installed package's folder. */
  readonly root: string;
  readonly settings: Settings;
  readonly installed: boolean;
  addSink(sink: Sink): () => void;
  summary(): Summary;
  flush(): void;
  configure(options: Options): void;
  warn(text: string): void;
  /** Every occurrence as it happens (guardTests). */
  observe(fn: (o: Occurrence) => void): () => void;
  handlerObservers(): readonly ObserverEntry[];
  linesFor(target: LinesTarget): Lines;
}

export class Runtime implements RuntimeApi {
  readonly version = version;
  readonly root = packageRoot;
  readonly bus = new Bus();
  settings: Settings;
  installed = false;
  private readonly undo = new UndoStack();
  private guard: Guard | undefined;
  private discord: Discord | undefined;
  private reporting: Reporting | undefined;
  /** Reporting could not start (its file cannot be loaded): said once, not tried again. */
  private reportingFailed = false;
  /** The slots of loopguard's thread: made with the guard, since the app's workers look for them when they start. */
  private shared: Int32Array | undefined;
  /** Publishes the slots for the app's worker threads once one may start (worker-slots.ts). */
  private slots: SlotsPublisher | undefined;
  private uncontain: Undo | undefined;
  /** A handler has started since install: from then on the watchdog watches (with `scope: all`, from the first turn). */
  private handled = false;
  /** Puts the guard's require wrapper in place, once: at the first handler, or when something else needs it (install.ts' requireWrapping). */
  private wrapRequire: (() => void) | undefined;
  private readonly warned = new Set<string>();
  /** A LoopguardInstrumentation owns OpenTelemetry export: the settings add no second one. */
  private otelClaimed = false;
  private closed = false;

  constructor(private readonly onUninstalled: (runtime: Runtime) => void = () => {}) {
    this.settings = defaults;
    this.bus.warnings.add((text) => this.writeWarning(text));
    this.startOnNext(true);
  }

  /**
   * Puts `settings` in force and, the first time, installs: the API table's wrappers, the
   * integrations and package hooks (reporting, with the sinks, starts when first needed, or now
   * for a report file; the watchdog and loopguard's thread at the first handler). Throws
   * ConfigError (before anything changes) for a report file that cannot be used or OpenTelemetry
   * `on` without its API.
   */
  install(settings: Settings): InstallResult {
    const first = !this.installed;
    if (first) {
      this.installed = true;
      const onExit = (): void => this.close();
      process.once('exit', onExit);
      this.undo.push(() => process.removeListener('exit', onExit));
    }
    try {
      this.apply(settings);
    } catch (error) {
      if (first) this.uninstall();
      throw error;
    }
    return { active: true, wrapped: this.guard?.apis.length ?? 0 };
  }

  configure(options: Options): void {
    const settings = settingsFromOptions(options, this.settings);
    if (this.installed) this.apply(settings);
    else this.settings = settings;
  }

  /** Runs everything installed backwards: the functions it wrapped are the originals again (or pass through). */
  uninstall(): void {
    if (!this.installed) return;
    this.close();
    this.undo.run((error) => this.bus.fail(error, 'uninstalling'));
    this.guard = undefined;
    this.installed = false;
    this.onUninstalled(this);
  }

  /** Takes OpenTelemetry export from the settings (or gives it back): the settings' sink goes or comes. */
  claimOtel(claimed: boolean): void {
    this.otelClaimed = claimed;
    if (!this.installed || (this.settings.mode === 'off' && this.guard === undefined)) return;
    if (!claimed) checkOtel(this.settings);
    this.reporting?.applySinks(this.settings, claimed);
  }

  addSink(sink: Sink): () => void {
    return this.reports().dispatcher.addSink(sink);
  }

  summary(): Summary {
    return this.reports().dispatcher.summary();
  }

  flush(): void {
    this.reporting?.dispatcher.flush();
  }

  /** The APIs the guard wrapped (for tests and diagnostics). */
  get guardedApis(): readonly GuardedApi[] {
    return this.guard?.apis ?? [];
  }

  observe(fn: (o: Occurrence) => void): () => void {
    return this.bus.occurrences.add(fn);
  }

  /** Read as each handler starts (the first one's start is firstHandler's). */
  readonly handlerObservers = (): readonly ObserverEntry[] => {
    if (!this.handled) this.firstHandler();
    return this.bus.handlerObservers.items;
  };

  /** One of loopguard's warnings (said once per `key` when given). */
  warn(text: string, key?: string): void {
    if (key !== undefined) {
      if (this.warned.has(key)) return;
      this.warned.add(key);
    }
    this.bus.warn(text);
  }

  readonly linesFor = (target: LinesTarget): Lines => this.reports().linesFor(target);

  private readonly warnOnce = (key: string, text: string): void => this.warn(text, key);

  /*
   * `mode: off` installs nothing (no wrapper, no sink, no thread); set later, everything installed
   * calls straight through and reports nothing until the mode changes again.
   */
  private apply(settings: Settings): void {
    const on = settings.mode !== 'off';
    // First: what the settings name must exist, before anything changes.
    chooseIntegrations(settings.integrations);
    if (on || this.guard !== undefined) {
      if (!this.otelClaimed) checkOtel(settings);
      // A report file is opened (and checked) now: reporting starts with it.
      if (this.reporting !== undefined) this.reporting.applySinks(settings, this.otelClaimed);
      else if (settings.reportFile !== undefined) this.newReporting(settings);
    } else if (settings.reportFile !== undefined) checkReportFile(settings.reportFile);
    this.settings = settings;
    if (settings.reportArgs) this.warnOnce('report-args', 'LOOPGUARD_REPORT_ARGS (reportArgs) no longer shows command lines: they hold passwords and tokens; reports show the program\'s name only');
    if (on && this.guard === undefined) this.installGuard(settings);
    this.guard?.apply(settings);
    this.judgingAll();
    if (this.discord !== undefined) {
      this.discord.events.active = on;
      this.discord.events.strict = settings.mode === 'strict';
      this.discord.events.interactions.delayedFromMs = settings.ackBlockedMs;
    }
    if ((settings.mode === 'strict') !== (this.uncontain !== undefined)) {
      if (this.uncontain === undefined) this.uncontain = containStrictErrors();
      else {
        this.uncontain();
        this.uncontain = undefined;
      }
    }
    this.applyWatchdog(settings);
  }

  /** The wrappers, the hooks and the integrations: once, the first time the mode is not `off`. */
  private installGuard(settings: Settings): void {
    const { undo, warnOnce } = this;
    undo.push(syncEsm); // last of all: ESM views see the originals again
    undo.push(() => {
      if (this.uncontain !== undefined) this.uncontain();
      this.uncontain = undefined;
    });
    const guard = new Guard(this.bus, settings);
    this.guard = guard;
    const slots = slotsPublisher(guard, this.shared ??= newSlots());
    this.slots = slots;
    undo.push(() => {
      slots.undo();
      this.slots = undefined;
    });
    // An app's worker thread relays its report lines to loopguard's thread: it starts with the
    // first one (Node tells of each new Worker), also in a process that runs no handler itself
    // (a ShardingManager in worker mode); until it runs, workers write their lines themselves.
    const appWorker = (): void => {
      process.removeListener('worker', appWorker);
      if (this.settings.mode === 'off') return;
      this.startReporting();
      this.reporting?.startThread();
    };
    process.on('worker', appWorker);
    undo.push(() => process.removeListener('worker', appWorker));
    const checkBuiltinLoads = wrapBuiltins(guard, nodeApis, undo, warnOnce);
    warnAboutEarlyCopies(warnOnce);
    const discord = new Discord(this.bus, this.handlerObservers);
    this.discord = discord;
    undo.push(() => {
      discord.stop();
      this.discord = undefined;
    });
    const chosen = chooseIntegrations(settings.integrations);
    // A bot library loading (at start-up, as a rule) starts reporting at the next turn of the
    // loop, while the bot waits for the gateway: its first event finds it started, and neither the
    // library's load nor the time to READY waits for it (an event before then starts it itself).
    // The watchdog and loopguard's thread wait for that event (firstHandler).
    let reportingScheduled = false;
    const reportingFirst = <A>(patch: (a: A) => Undo | undefined) => (a: A): Undo | undefined => {
      if (!reportingScheduled) {
        reportingScheduled = true;
        // Not keeping the loop alive: a process that only loads the library reports nothing.
        outsideHandlers(() => setImmediate(() => {
          if (this.guard === guard) this.startReporting();
        }).unref());
      }
      return patch(a);
    };
    const hooks = discord.hooks(chosen, warnOnce);
    const integrationHooks = {
      files: hooks.files.map((hook) => ({ ...hook, patch: reportingFirst(hook.patch) })),
      esm: hooks.esm.map((hook) => ({ ...hook, patch: reportingFirst(hook.patch) })),
    };
    const wrapLoaded = (targets: readonly Target[]): void => wrapTargets(guard, targets, undo, warnOnce);
    const packageError = (pkg: string, error: unknown): void => warnOnce(`package:${pkg}`, `could not hook ${pkg}: ${error instanceof Error ? error.message : String(error)}; its blocking calls are reported as Node's, if at all`);
    // Before the require wrapper (put in place when first needed, at the latest at the first
    // handler): it must be outermost, so that the hooks' own work during a require inside a
    // handler counts as part of that require.
    undo.push(hookPackageFiles([...packageFileHooks(wrapLoaded, packageError), ...integrationHooks.files]));
    const wrapRequire = requireWrapping(guard, undo);
    this.wrapRequire = wrapRequire;
    undo.push(() => {
      this.wrapRequire = undefined;
    });
    undo.push(hookEsmPackages([...packageEsmHooks(wrapLoaded, packageError), ...integrationHooks.esm], (packages) => warnOnce('esm-unhooked',
      onBun
        ? `on Bun, the ES module builds of ${packages.join(', ')} are not hooked (Bun has no module.registerHooks): their handlers and blocking calls are not seen in this ES module app`
        : `on Node ${process.versions.node}, the ES module builds of ${packages.join(', ')} are not hooked (it can only hook them through a loader thread, which changes how the process ends): their handlers and blocking calls are not seen in this ES module app; Node 22.22.3, 24.11.1, 25.1 or newer hooks them`), (listener) => {
      wrapRequire();
      return guard.requireListeners.add(listener);
    }));
    if (this.handled) wrapRequire(); // installed again, after a handler ran
    syncEsm();
    // Not keeping the loop alive: a process that ends without a turn of it has no after-start-up.
    outsideHandlers(() => setImmediate(() => {
      if (this.guard !== guard) return;
      guard.endStartup();
      checkBuiltinLoads();
      this.judgingAll();
    }).unref());
    undo.push(() => guard.deactivate()); // first of all: every wrapper calls straight through
  }

  /**
   * With `scope: all`, once start-up is over, everything is judged: requires too, and stalls
   * outside handlers (watched by reporting's watchdog), from the first turn of the loop.
   */
  private judgingAll(): void {
    if (this.guard?.judgesAll !== true) return;
    this.wrapRequire?.();
    this.startReporting();
  }

  /**
   * The first handler starts reporting (unless a bot library's load did), so that its sinks follow
   * that handler already (the OpenTelemetry sink's span), and the watchdog with loopguard's thread:
   * not before, so that a bot's connecting never waits for that thread's start. The require
   * wrapper, too, is put in place here, before that handler runs.
   */
  private firstHandler(): void {
    if (!this.installed || this.settings.mode === 'off') return;
    this.handled = true;
    this.wrapRequire?.(); // before the handler runs: its requires are judged
    if (this.reporting === undefined) this.startReporting();
    else this.applyWatchdog(this.settings);
  }

  /** The watchdog, once there is something to watch: handlers, from the first one's start, or everything with `scope: all`. */
  private applyWatchdog(settings: Settings): void {
    const reporting = this.reporting;
    if (reporting === undefined) return;
    const watched = (this.handled || settings.scope === 'all') && this.guard !== undefined;
    outsideHandlers(() => reporting.applyWatchdog(settings, watched, this.guard?.startupOver === true));
  }

  /** Reporting, made now if it was not (loading its bundle): for what the app asks of it. */
  private reports(): Reporting {
    return this.reporting ?? this.newReporting(this.installed ? this.settings : undefined);
  }

  /**
   * Starts reporting where loopguard itself needs it: a handler starts, something is to be told,
   * stalls outside handlers are judged. Never throws: if it cannot start, that is said once and
   * nothing is reported.
   */
  private readonly startReporting = (): void => {
    if (this.reporting !== undefined || this.reportingFailed) return;
    try {
      this.reports();
    } catch (error) {
      this.reportingFailed = true;
      // Its code, not its message: a module's message lists paths.
      const code = (error as { code?: unknown } | null)?.code;
      raw.writeSync(2, `[loopguard] warning: reporting could not start (${typeof code === 'string' ? code : error instanceof Error ? error.name : typeof error}): nothing is reported\n`);
    }
  };

  /**
   * `settings`: the sinks and watchdog to start with (none before install); a ConfigError, and
   * nothing started, if their report file cannot be used.
   */
  private newReporting(settings: Settings | undefined): Reporting {
    this.startOnNext(false);
    this.slots?.publish(); // its thread loads worker_threads anyway
    // Outside any handler: loading it is loopguard's own work, never the app's blocking call.
    const reporting = outsideHandlers(() => new Reporting(this.bus, {
      shared: this.shared ??= newSlots(),
      warnOnce: this.warnOnce,
      judgesAll: () => this.settings.scope === 'all',
    }));
    // Set first: what its sinks say as they start (a warning) goes through it.
    this.reporting = reporting;
    if (settings !== undefined && !this.closed && (settings.mode !== 'off' || this.guard !== undefined)) {
      try {
        outsideHandlers(() => reporting.applySinks(settings, this.otelClaimed));
      } catch (error) {
        this.reporting = undefined;
        reporting.close();
        this.startOnNext(true);
        throw error;
      }
    }
    if (this.closed) reporting.close(); // exit under way: what it writes, it writes here
    else if (settings !== undefined) this.applyWatchdog(settings);
    return reporting;
  }

  /** Until reporting runs, whatever is told starts it first, so that the dispatcher hears it too. */
  private startOnNext(waiting: boolean): void {
    const start = waiting ? this.startReporting : undefined;
    this.bus.occurrences.beforeNext(start);
    this.bus.failures.beforeNext(start);
  }

  private writeWarning(text: string): void {
    if (channels.warning.hasSubscribers) channels.warning.publish(text);
    this.startReporting();
    if (this.reporting !== undefined) this.reporting.warn(text);
    else raw.writeSync(2, `[loopguard] warning: ${text}\n`);
  }

  /** At exit (or uninstall): a stall that ends the process is judged, every sink closes, the thread writes what it holds. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reporting?.close();
  }
}

/** LOOPGUARD_OTEL=on needs @opentelemetry/api: said when the settings are given, not when reporting starts. */
function checkOtel(settings: Settings): void {
  if (settings.otel === 'on' && !apiInstalled()) {
    throw new ConfigError('LOOPGUARD_OTEL', 'loopguard: invalid LOOPGUARD_OTEL (otel) "on": @opentelemetry/api is not installed; accepted: auto, off, or on with @opentelemetry/api installed');
  }
}
