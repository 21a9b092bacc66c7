import { isMainThread } from 'node:worker_threads';
import { nodeApis } from '../apis/node';
import type { Target } from '../apis/resolve';
import { ConfigError, defaults, settingsFromOptions, type Options, type Settings } from '../config/settings';
import { Bus, type ObserverEntry } from '../core/bus';
import { onBun } from '../core/bun';
import { channels } from '../core/channels';
import { outsideHandlers } from '../core/context';
import type { Occurrence } from '../core/occurrence';
import { packageRoot } from '../core/own-files';
import type { Sink, Summary } from '../core/reports';
import { UndoStack, type Undo } from '../core/undo';
import { version } from '../core/version';
import { chooseIntegrations, Discord } from '../discord/index';
import { Guard, type GuardedApi } from '../guard/guard';
import { syncEsm, warnAboutEarlyCopies, wrapBuiltins, wrapRequire, wrapTargets } from '../guard/install';
import { packageEsmHooks, packageFileHooks } from '../guard/package-apis';
import { hookEsmPackages } from '../hooks/esm-packages';
import { hookPackageFiles } from '../hooks/package-files';
import { Dispatcher, observationOf, unsampledObservation } from '../report/dispatcher';
import { makeConsoleSink } from '../sinks/console';
import { expandReportPath, makeJsonlSink } from '../sinks/jsonl';
import { apiInstalled } from '../sinks/otel/api';
import { otelSinkWhenRegistered } from '../sinks/otel/when-registered';
import { OwnThread, relayedLines, type Lines, type LinesTarget } from '../thread/client';
import { checkReportPath } from '../thread/line-file';
import { Watchdog } from '../watchdog/watchdog';
import { containStrictErrors } from './strict-containment';

/*
 * The composition root: the only place that knows sinks, integrations, the watchdog and
 * loopguard's thread exist. One Runtime owns everything installed — settings, the bus, the
 * dispatcher, the guard, the Discord integrations, the watchdog, the thread — and one undo stack:
 * `configure()` changes it in place (the same files, the same counters), `uninstall()` runs the
 * stack in reverse. Other copies of loopguard in the process use it through RuntimeApi.
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

/** The settings-driven sinks, by what decides each. */
interface SettingSink {
  readonly key: string;
  remove(): void;
}

export class Runtime implements RuntimeApi {
  readonly version = version;
  readonly root = packageRoot;
  readonly bus = new Bus();
  settings: Settings;
  installed = false;
  private readonly dispatcher = new Dispatcher(this.bus);
  private readonly undo = new UndoStack();
  private guard: Guard | undefined;
  private discord: Discord | undefined;
  private thread: OwnThread | undefined;
  private watchdog: Watchdog | undefined;
  private uncontain: Undo | undefined;
  private readonly settingSinks = new Map<'console' | 'otel' | 'file', SettingSink>();
  private readonly warned = new Set<string>();
  /** A LoopguardInstrumentation owns OpenTelemetry export: the settings add no second one. */
  private otelClaimed = false;
  private closed = false;

  constructor(private readonly onUninstalled: (runtime: Runtime) => void = () => {}) {
    this.settings = defaults;
    this.bus.warnings.add((text) => this.writeWarning(text));
    // Third parties (diagnostics_channel subscribers) see what sinks see; nothing is built for them otherwise.
    this.bus.occurrences.add((o) => {
      if (channels.occurrence.hasSubscribers) channels.occurrence.publish(observationOf(o));
    });
    this.bus.unsampled.add((u) => channels.occurrence.publish(unsampledObservation(u)), () => channels.occurrence.hasSubscribers);
    this.dispatcher.addSink({ name: 'diagnostics_channel', write: (report) => {
      if (channels.report.hasSubscribers) channels.report.publish(report);
    } });
  }

  /**
   * Puts `settings` in force and, the first time, installs: the API table's wrappers, the
   * integrations and package hooks, the sinks, the watchdog. Throws ConfigError (before anything
   * changes) for a report file that cannot be used or OpenTelemetry `on` without its API.
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
    if (this.installed) this.applySinks(this.settings);
  }

  addSink(sink: Sink): () => void {
    return this.dispatcher.addSink(sink);
  }

  summary(): Summary {
    return this.dispatcher.summary();
  }

  flush(): void {
    this.dispatcher.flush();
  }

  /** The APIs the guard wrapped (for tests and diagnostics). */
  get guardedApis(): readonly GuardedApi[] {
    return this.guard?.apis ?? [];
  }

  observe(fn: (o: Occurrence) => void): () => void {
    return this.bus.occurrences.add(fn);
  }

  handlerObservers(): readonly ObserverEntry[] {
    return this.bus.handlerObservers.items;
  }

  /** One of loopguard's warnings (said once per `key` when given). */
  warn(text: string, key?: string): void {
    if (key !== undefined) {
      if (this.warned.has(key)) return;
      this.warned.add(key);
    }
    this.bus.warn(text);
  }

  readonly linesFor = (target: LinesTarget): Lines => relayedLines(target.path ?? target.fd) ?? this.ownThread().lines(target);

  private readonly warnOnce = (key: string, text: string): void => this.warn(text, key);

  /*
   * `mode: off` installs nothing (no wrapper, no sink, no thread); set later, everything installed
   * calls straight through and reports nothing until the mode changes again.
   */
  private apply(settings: Settings): void {
    const on = settings.mode !== 'off';
    // First: what the settings name must exist, before anything changes.
    chooseIntegrations(settings.integrations);
    if (on || this.guard !== undefined) this.applySinks(settings);
    else if (settings.reportFile !== undefined) this.checkReportFile(settings.reportFile);
    this.settings = settings;
    if (settings.reportArgs) this.warnOnce('report-args', 'LOOPGUARD_REPORT_ARGS (reportArgs) no longer shows command lines: they hold passwords and tokens; reports show the program\'s name only');
    if (on && this.guard === undefined) this.installGuard(settings);
    this.guard?.apply(settings);
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
    wrapBuiltins(guard, nodeApis, undo, warnOnce);
    warnAboutEarlyCopies(warnOnce);
    const discord = new Discord(this.bus, () => this.bus.handlerObservers.items);
    this.discord = discord;
    undo.push(() => {
      discord.stop();
      this.discord = undefined;
    });
    const chosen = chooseIntegrations(settings.integrations);
    const integrationHooks = discord.hooks(chosen, warnOnce);
    const wrapLoaded = (targets: readonly Target[]): void => wrapTargets(guard, targets, undo, warnOnce);
    const packageError = (pkg: string, error: unknown): void => warnOnce(`package:${pkg}`, `could not hook ${pkg}: ${error instanceof Error ? error.message : String(error)}; its blocking calls are reported as Node's, if at all`);
    // Before wrapping require: the module-load wrapper must be outermost, so that the hooks' own
    // work during a require inside a handler counts as part of that require.
    undo.push(hookPackageFiles([...packageFileHooks(wrapLoaded, packageError), ...integrationHooks.files]));
    undo.push(hookEsmPackages([...packageEsmHooks(wrapLoaded, packageError), ...integrationHooks.esm], (packages) => warnOnce('esm-unhooked',
      onBun
        ? `on Bun, the ES module builds of ${packages.join(', ')} are not hooked (Bun has no module.registerHooks): their handlers and blocking calls are not seen in this ES module app`
        : `on Node ${process.versions.node}, the ES module builds of ${packages.join(', ')} are not hooked (it can only hook them through a loader thread, which changes how the process ends): their handlers and blocking calls are not seen in this ES module app; Node 22.22.3, 24.11.1, 25.1 or newer hooks them`), (listener) => guard.requireListeners.add(listener)));
    wrapRequire(guard, undo);
    syncEsm();
    // Not keeping the loop alive: a process that ends without a turn of it has no after-start-up.
    outsideHandlers(() => setImmediate(() => {
      if (this.guard === guard) guard.endStartup();
    }).unref());
    undo.push(() => guard.deactivate()); // first of all: every wrapper calls straight through
  }

  /**
   * The sinks the settings ask for, changed only where their setting changed: the same report
   * file stays open (a new one is opened, checked, before the old one closes), the OpenTelemetry
   * sink keeps its counters.
   */
  private applySinks(settings: Settings): void {
    const wanted = new Map<'console' | 'otel' | 'file', { key: string; make: () => Sink }>();
    if (settings.console) wanted.set('console', { key: 'on', make: () => makeConsoleSink({}, this.linesFor) });
    if (settings.otel !== 'off' && !this.otelClaimed) {
      if (settings.otel === 'on' && !apiInstalled()) {
        throw new ConfigError('LOOPGUARD_OTEL', 'loopguard: invalid LOOPGUARD_OTEL (otel) "on": @opentelemetry/api is not installed; accepted: auto, off, or on with @opentelemetry/api installed');
      }
      // The API is loaded once an SDK registers (no SDK can register without it).
      wanted.set('otel', { key: 'on', make: () => otelSinkWhenRegistered((error) => this.bus.fail(error, 'starting OpenTelemetry')) });
    }
    const file = settings.reportFile;
    if (file !== undefined) {
      wanted.set('file', {
        key: file,
        make: () => {
          try {
            return makeJsonlSink(file, this.linesFor, (text) => this.warn(text));
          } catch (error) {
            throw new ConfigError('LOOPGUARD_REPORT_FILE', `loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) ${JSON.stringify(file)}: ${(error as Error).message}; accepted: a writable regular file's path`);
          }
        },
      });
    }
    const made = new Map<'console' | 'otel' | 'file', { key: string; sink: Sink }>();
    for (const [slot, want] of wanted) {
      if (this.settingSinks.get(slot)?.key !== want.key) made.set(slot, { key: want.key, sink: want.make() });
    }
    for (const [slot, current] of this.settingSinks) {
      if (wanted.get(slot)?.key === current.key) continue;
      current.remove();
      this.settingSinks.delete(slot);
    }
    for (const [slot, { key, sink }] of made) {
      const remove = this.dispatcher.addSink(sink);
      this.settingSinks.set(slot, {
        key,
        remove: () => {
          remove();
          // A report file that the settings no longer name is closed, the OpenTelemetry sink's
          // timer stopped (the console has nothing to release; closing it prints the summary).
          if (slot !== 'console') outsideHandlers(() => sink.close?.(this.dispatcher.summary()));
        },
      });
    }
  }

  /** Mode off opens no file, but a report file it could never use is said now, not when the mode changes. */
  private checkReportFile(file: string): void {
    try {
      checkReportPath(expandReportPath(file));
    } catch (error) {
      throw new ConfigError('LOOPGUARD_REPORT_FILE', `loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) ${JSON.stringify(file)}: ${(error as Error).message}; accepted: a writable regular file's path`);
    }
  }

  private applyWatchdog(settings: Settings): void {
    if (this.watchdog !== undefined && this.watchdog.stallMs === settings.stallMs && settings.mode !== 'off') return;
    this.watchdog?.stop();
    this.watchdog = undefined;
    if (!Number.isFinite(settings.stallMs) || settings.mode === 'off' || this.guard === undefined || !isMainThread) return;
    this.watchdog = Watchdog.start(this.bus, this.ownThread(), {
      stallMs: settings.stallMs,
      judgesAll: () => this.settings.scope === 'all',
      warn: this.warnOnce,
    });
  }

  /** Started on first use; after close() it writes on the main thread (exit is under way). */
  private ownThread(): OwnThread {
    this.thread ??= OwnThread.start({ onFailure: (text) => this.bus.failures.publish({ error: new Error(text), where: 'writing reports', said: true }) });
    return this.thread;
  }

  private writeWarning(text: string): void {
    if (channels.warning.hasSubscribers) channels.warning.publish(text);
    const relayed = relayedLines(2);
    if (relayed !== undefined) relayed.write(`[loopguard] warning: ${text}\n`);
    else this.ownThread().warn(text);
  }

  /** At exit (or uninstall): a stall that ends the process is judged, every sink closes, the thread writes what it holds. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watchdog?.atExit();
    this.watchdog = undefined;
    this.dispatcher.close();
    this.settingSinks.clear();
    this.thread?.stop();
  }
}
