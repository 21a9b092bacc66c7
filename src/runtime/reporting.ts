import { ConfigError, type Settings } from '../config/settings';
import type { Bus } from '../core/bus';
import { channels } from '../core/channels';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import type { Sink } from '../core/reports';
import { Dispatcher, observationOf, unsampledObservation } from '../report/dispatcher';
import { makeConsoleSink } from '../sinks/console';
import { expandReportPath, makeJsonlSink } from '../sinks/jsonl';
import { otelSinkWhenRegistered } from '../sinks/otel/when-registered';
import { OwnThread, relayedLines, type Lines, type LinesTarget } from '../thread/client';
import { checkReportPath } from '../thread/line-file';
import { Watchdog } from '../watchdog/watchdog';

/*
 * What runs once there is something to report: the dispatcher, the sinks the settings ask for,
 * loopguard's thread and the stall watchdog. The runtime makes it when it is first needed (see
 * Runtime.reports), so that a process that never gets there (`node -e`, npm or tsc under a
 * NODE_OPTIONS preload) never loads it: in the package it is a bundle of its own,
 * dist/loopguard-reporting.js. The runtime still owns its lifetime: it applies the settings here
 * and closes it.
 */

export interface ReportingHooks {
  /** The slots shared with loopguard's thread, made at install (thread/protocol.ts' sharedSlots). */
  readonly shared: Int32Array;
  warnOnce(key: string, text: string): void;
  /** Whether stalls outside handlers are judged (`scope: all`), read when one is reported. */
  judgesAll(): boolean;
}

type SettingSlot = 'console' | 'otel' | 'file';

/** A settings-driven sink, by what decides it. */
interface SettingSink {
  readonly key: string;
  remove(): void;
}

export class Reporting {
  readonly dispatcher: Dispatcher;
  private readonly settingSinks = new Map<SettingSlot, SettingSink>();
  private thread: OwnThread | undefined;
  private watchdog: Watchdog | undefined;
  private closed = false;
  private relayedWarnings: Lines | undefined;

  constructor(private readonly bus: Bus, private readonly hooks: ReportingHooks) {
    this.dispatcher = new Dispatcher(bus);
    // Third parties (diagnostics_channel subscribers) see what sinks see; nothing is built for them otherwise.
    bus.occurrences.add((o) => {
      if (channels.occurrence.hasSubscribers) channels.occurrence.publish(observationOf(o));
    });
    bus.unsampled.add((u) => channels.occurrence.publish(unsampledObservation(u)), () => channels.occurrence.hasSubscribers);
    this.dispatcher.addSink({ name: 'diagnostics_channel', write: (report) => {
      if (channels.report.hasSubscribers) channels.report.publish(report);
    } });
  }

  readonly linesFor = (target: LinesTarget): Lines => relayedLines(target.path ?? target.fd, (text, failed) => {
    // As the main thread says its own (OwnThread's lineFile): a report file's news on stderr.
    if (target.path !== undefined) this.warn(text);
    if (failed) this.writingFailed(text);
  }) ?? this.ownThread().lines(target);

  /** One of loopguard's warnings on stderr (through the main thread's loopguard thread, from a worker). */
  warn(text: string): void {
    // One channel for them all (a channel is a port of its own).
    const relayed = this.relayedWarnings ??= relayedLines(2, (news, failed) => {
      if (failed) this.writingFailed(news);
    });
    if (relayed !== undefined) relayed.write(`[loopguard] warning: ${text}\n`);
    else this.ownThread().warn(text);
  }

  /**
   * The sinks the settings ask for, changed only where their setting changed: the same report
   * file stays open (a new one is opened, checked, before the old one closes), the OpenTelemetry
   * sink keeps its counters. `otelClaimed`: a LoopguardInstrumentation exports, not the settings.
   * Throws ConfigError, before anything changes, for a report file that cannot be used.
   */
  applySinks(settings: Settings, otelClaimed: boolean): void {
    const wanted = new Map<SettingSlot, { key: string; make: () => Sink }>();
    if (settings.console) wanted.set('console', { key: 'on', make: () => makeConsoleSink({}, this.linesFor) });
    // The API is loaded once an SDK registers (no SDK can register without it).
    if (settings.otel !== 'off' && !otelClaimed) wanted.set('otel', { key: 'on', make: () => otelSinkWhenRegistered((error) => this.bus.fail(error, 'starting OpenTelemetry'), (observer) => this.dispatcher.follow('opentelemetry', observer)) });
    const file = settings.reportFile;
    if (file !== undefined) {
      wanted.set('file', {
        key: file,
        make: () => {
          try {
            return makeJsonlSink(file, this.linesFor, (text) => this.bus.warn(text));
          } catch (error) {
            throw reportFileError(file, error);
          }
        },
      });
    }
    const made = new Map<SettingSlot, { key: string; sink: Sink }>();
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

  /**
   * The watchdog, for `stallMs` once there is something to watch (`watched`: the guard is
   * installed, and a handler has started or `scope` is `all`; main thread only, mode not `off`).
   * `startupOver`: the loop has turned (it is armed at once, not at the next turn).
   */
  applyWatchdog(settings: Settings, watched: boolean, startupOver: boolean): void {
    if (this.watchdog !== undefined && this.watchdog.stallMs === settings.stallMs && settings.mode !== 'off') return;
    this.watchdog?.stop();
    this.watchdog = undefined;
    if (!Number.isFinite(settings.stallMs) || settings.mode === 'off' || !watched || !isMainThread) return;
    this.watchdog = Watchdog.start(this.bus, this.ownThread(), {
      stallMs: settings.stallMs,
      judgesAll: this.hooks.judgesAll,
      warn: this.hooks.warnOnce,
      armNow: startupOver,
    });
  }

  /** Starts loopguard's thread now (an app's worker thread relays its lines to it). */
  startThread(): void {
    if (isMainThread) this.ownThread().launch();
  }

  /** At exit (or uninstall): a stall that ends the process is judged, every sink closes, the thread writes what it holds. */
  close(): void {
    this.closed = true;
    this.watchdog?.atExit();
    this.watchdog = undefined;
    this.dispatcher.close();
    this.settingSinks.clear();
    this.relayedWarnings?.end();
    this.thread?.stop();
  }

  /** Writing report lines failed (and was said on stderr where it could be). */
  private writingFailed(text: string): void {
    this.bus.failures.publish({ error: new Error(text), where: 'writing reports', said: true });
  }

  /** Made on first use (it starts once there is a line to write or a stall to watch); after close() it writes on the main thread (exit is under way). */
  private ownThread(): OwnThread {
    if (this.thread === undefined) {
      this.thread = new OwnThread(this.hooks.shared, { onFailure: (text) => this.writingFailed(text) });
      if (this.closed) this.thread.stop();
    }
    return this.thread;
  }
}

/** Mode off opens no file, but a report file it could never use is said now, not when the mode changes. */
export function checkReportFile(file: string): void {
  try {
    checkReportPath(expandReportPath(file));
  } catch (error) {
    throw reportFileError(file, error);
  }
}

function reportFileError(file: string, error: unknown): ConfigError {
  return new ConfigError('LOOPGUARD_REPORT_FILE', `loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) ${JSON.stringify(file)}: ${(error as Error).message}; accepted: a writable regular file's path`);
}
