/*
 * loopguard's public API: everything users import comes from here. It only re-exports and calls
 * the runtime (src/runtime/).
 */
import type { EventEmitter } from 'node:events';
import { defaults, settingsFromEnv, settingsFromOptions, type Options } from './config/settings';
import type { HandlerInfo } from './core/context';
import type { Report, Sink, Summary } from './core/reports';
import { runHandled } from './handlers/lifecycle';
import { trackEmitter, type TrackOptions } from './handlers/track';
import { activeObservers, activeRuntime, installedRuntime, installOwn, ownRuntime } from './runtime/active';
import type { InstallResult } from './runtime/runtime';
import { callbackSink } from './sinks/callback';
import { makeConsoleSink, type ConsoleSinkOptions } from './sinks/console';
import { makeJsonlSink } from './sinks/jsonl';

export { allowBlocking, currentHandler } from './core/context';
export type { AttributeValue, HandlerContext, HandlerInfo } from './core/context';
export type { TrackOptions } from './handlers/track';
export { BlockingCallError } from './report/errors';
export { ConfigError, settings as settingsTable } from './config/settings';
export type { Mode, ModuleLoads, Options, Otel, Scope, Settings } from './config/settings';
export type {
  AtRisk, BlockingCallReport, Blocker, HandlerObserver, HandlerScope, HandlerSummary, HeartbeatAtRisk, InteractionAckReport, InteractionAtRisk,
  Observation, Report, ReportBase, Site, Sink, SiteTotal, SiteTotals, StallReport, Summary, UnsampledCall,
} from './core/reports';
export { apiTable } from './apis/table';
export type { ApiEntry, ApiKind, Exemption } from './apis/types';
export { callbackSink } from './sinks/callback';
export type { ConsoleSinkOptions } from './sinks/console';
export type { InstallResult } from './runtime/runtime';

export interface InstallOptions extends Options {
  /** Read LOOPGUARD_* variables first (options given here win). Default true. */
  env?: boolean;
}

/**
 * Wraps the blocking APIs (what `-r loopguard/register` does, with options from code).
 * Calling it again applies the new options. Invalid options throw a ConfigError.
 */
export function install(options: InstallOptions = {}): InstallResult {
  settingsFromOptions(options as Options & { env?: unknown }, defaults, ['env']); // a ConfigError naming what is wrong, before anything changes
  const { env = true, ...rest } = options;
  return installOwn(settingsFromOptions(rest, env ? settingsFromEnv(process.env) : defaults), env ? process.env : undefined);
}

/** Puts every original function back and closes the sinks. */
export function uninstall(): void {
  if (installedRuntime() === ownRuntime()) ownRuntime().uninstall();
}

/** Changes settings at run time (allow-lists, mode, threshold, sinks); invalid options throw a ConfigError. */
export function configure(options: Options): void {
  activeRuntime().configure(options);
}

/** Whether this copy of loopguard is installed (and guarding). */
export function isInstalled(): boolean {
  return installedRuntime() === ownRuntime();
}

/** Calls `fn` with every report (outside any handler); returns a function that stops it. */
export function onReport(fn: (report: Report) => void, onSummary?: (summary: Summary) => void): () => void {
  return activeRuntime().addSink(callbackSink(fn, onSummary));
}

/** Adds a reporter. Returns a function that removes it. */
export function addSink(sink: Sink): () => void {
  return activeRuntime().addSink(sink);
}

/** What has been counted so far. */
export function summary(): Summary {
  return activeRuntime().summary();
}

/** Writes the repeats counted so far as aggregate reports now (they are also written every 10 s and at exit). */
export function flush(): void {
  activeRuntime().flush();
}

/**
 * Runs `fn` as an event handler: blocking calls in it, its awaits and its timers are judged.
 * Returns what `fn` returns (the same object).
 */
export function runInHandler<R>(info: HandlerInfo, fn: () => R): R {
  return runHandled(activeObservers(), info, fn);
}

/**
 * Every listener of `emitter` runs inside a handler context named by the event.
 * Returns a function that undoes it. Tracking an emitter twice keeps the first tracking.
 */
export function track(emitter: Pick<EventEmitter, 'emit'>, options: TrackOptions = {}): () => void {
  return trackEmitter(activeObservers, emitter, options, () => activeRuntime().settings.mode === 'strict');
}

/** The console reporter (stderr by default): one line per new call site, and a summary at exit. */
export function consoleSink(options: ConsoleSinkOptions = {}): Sink {
  return makeConsoleSink(options, activeRuntime().linesFor);
}

/**
 * A JSON Lines reporter: one report per line, in a file created 0600 (`%p`, `%t`: process and
 * thread id). `_onError` is deprecated and unused: a file that cannot be written is said on stderr
 * and counted in the summary.
 */
export function jsonlSink(path: string, _onError?: (error: Error) => void): Sink {
  const runtime = activeRuntime();
  return makeJsonlSink(path, runtime.linesFor, (text) => runtime.warn(text));
}
