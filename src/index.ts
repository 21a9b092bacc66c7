/*
 * loopguard's public API: everything users import comes from here.
 */
import { defaults, settingsFromEnv, settingsFromOptions, type Options } from './config';
import * as guard from './guard/install';
import { state } from './guard/state';
import type { Report, Sink, Summary } from './report/types';
import { callbackSink } from './sinks/callback';

export { allowBlocking, currentHandler } from './context';
export { runInHandler } from './handlers/lifecycle';
export type { AttributeValue, HandlerContext, HandlerInfo } from './context';
export { track } from './track';
export type { TrackOptions } from './track';
export { BlockingCallError } from './report/errors';
export { ConfigError, settings as settingsTable } from './config';
export type { Mode, ModuleLoads, Options, Otel, Scope, Settings } from './config';
export type {
  AtRisk, BlockingCallReport, Blocker, HandlerSummary, HeartbeatAtRisk, InteractionAckReport, InteractionAtRisk, Observation, Report, ReportBase, Site, Sink, SiteTotal,
  StallReport, Summary,
} from './report/types';
export type { HandlerObserver, HandlerScope } from './handlers/lifecycle';
export { apiTable } from './apis/table';
export type { ApiEntry, ApiKind, Exemption } from './apis/types';
export { consoleSink } from './sinks/console';
export { jsonlSink } from './sinks/jsonl';
export { callbackSink } from './sinks/callback';
export type { InstallResult } from './guard/install';

export interface InstallOptions extends Options {
  /** Read LOOPGUARD_* variables first (options given here win). Default true. */
  env?: boolean;
}

/**
 * Wraps the blocking APIs (what `-r loopguard/register` does, with options from code).
 * Calling it again applies the new options. Invalid options throw a ConfigError.
 */
export function install(options: InstallOptions = {}): guard.InstallResult {
  const { env = true, ...rest } = options;
  const base = env ? settingsFromEnv(process.env) : defaults;
  return guard.install(settingsFromOptions(rest, base));
}

/** Puts every original function back and closes the sinks. */
export const uninstall: () => void = guard.uninstall;

/** Changes settings at run time (allow-lists, mode, threshold). */
export const configure: (options: Options) => void = guard.configure;

export const isInstalled: () => boolean = guard.isInstalled;

/** Calls `fn` with every report; returns a function that stops it. */
export function onReport(fn: (report: Report) => void, onSummary?: (summary: Summary) => void): () => void {
  return state.dispatcher.addSink(callbackSink(fn, onSummary));
}

/** Adds a reporter. Returns a function that removes it. */
export function addSink(sink: Sink): () => void {
  return state.dispatcher.addSink(sink);
}

/** What has been counted so far. */
export function summary(): Summary {
  return state.dispatcher.summary();
}

/** Writes the repeats counted so far as aggregate reports now (they are also written every 10 s and at exit). */
export function flush(): void {
  state.dispatcher.flush();
}
