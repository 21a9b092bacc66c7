import Module from 'node:module';
import { sep } from 'node:path';
import { discoverEntries, loadBuiltin, resolveTargets, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { handlerStorage } from '../context';
import { ConfigError, settingsFromOptions, type Options, type Settings } from '../config';
import { Dispatcher } from '../report/dispatcher';
import type { Sink } from '../report/types';
import { consoleSink } from '../sinks/console';
import { jsonlSink } from '../sinks/jsonl';
import { loadApi } from '../sinks/otel/api';
import { otelSink } from '../sinks/otel/sink';
import { resetAcks } from '../integrations/acks';
import { containStrictErrors } from '../integrations/contain';
import { integrations, type Integration } from '../integrations/index';
import { resetAtRisk } from '../watchdog/at-risk';
import { stopWatchdog, useWatchdog, watchdogAtExit } from '../watchdog/watchdog';
import { createWrapper } from './call';
import { hookEsmPackages, type EsmHook } from './esm-hooks';
import { createRequireWrapper, loadListeners } from './module-load';
import { packageEsmHooks, packageFileHooks } from './package-apis';
import { hookPackageFiles, type FileHook } from './package-hooks';
import { isWrapper, patch, unpatch, type Patch } from './patch';
import { applySettings, state, type Guarded } from './state';
import { onThreadFailure, ownThread, stopOwnThread, warn } from '../thread/current';
import { onProcessEnd } from '../util/process-end';

const kInstance = Symbol.for('loopguard.instance');
/** What the active copy of loopguard publishes, so that other copies report through it. */
interface ActiveInstance {
  version: string;
  root: string;
  dispatcher(): Dispatcher;
  /** The active copy's warnings on stderr (another copy has no thread of its own). */
  warn?(text: string): void;
}
type InstanceHolder = typeof globalThis & { [kInstance]?: ActiveInstance };
const holder = globalThis as InstanceHolder;
const version: string = (require('../../package.json') as { version: string }).version;

let patches: Patch[] = [];
let settingSinks: (() => void)[] = [];
/** A LoopguardInstrumentation owns OpenTelemetry export: the settings add no second one. */
let otelClaimed = false;
let stopExitHook: (() => void) | undefined;
let unhookPackages: (() => void) | undefined;
let lazyListener: ((id: string) => void) | undefined;
const warned = new Set<string>();

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  warn(message.replace(/^loopguard: /, ''));
}

/* node:sqlite prints an ExperimentalWarning when loaded on Node 22, so there it is patched when the app loads it. */
const eagerLazyModules = Number(process.versions.node.split('.')[0]) >= 23;

function wrapTargets(targets: readonly Target[]): void {
  for (const target of targets) {
    const current = (target.owner as Record<string, unknown>)[target.key];
    if (isWrapper(current)) continue; // another copy of loopguard already guards it
    const g: Guarded = { entry: target.entry, allowed: false, pairs: new Map() };
    const p = patch(target.owner, target.key, createWrapper(g, current as (this: unknown, ...args: unknown[]) => unknown));
    if (p === undefined) {
      warnOnce(`patch:${target.entry.api}`, `loopguard: ${target.entry.api} cannot be replaced here (frozen?); calls to it are not seen`);
      continue;
    }
    state.guarded.push(g);
    patches.push(p);
  }
}

/*
 * Libraries that copy Node functions when they load: loaded before loopguard, their copies are
 * the unwrapped originals. Said once, since only the load order can fix it.
 */
const earlyCopiers: Readonly<Record<string, string>> = {
  'graceful-fs': 'copies of fs functions, which are',
  'sync-fetch': 'copy of child_process.execFileSync, which is',
};

function warnAboutEarlyCopies(): void {
  const loaded = Object.keys(require.cache);
  for (const [name, what] of Object.entries(earlyCopiers)) {
    const marker = `${sep}node_modules${sep}${name}${sep}`;
    if (loaded.some((p) => p.includes(marker))) {
      warnOnce(`early:${name}`, `loopguard: ${name} was loaded before loopguard and keeps its own ${what} not guarded; load loopguard first (node -r loopguard/register)`);
    }
  }
}

function syncEsm(): void {
  // ESM views of builtins are copies made on first import; this refreshes named imports.
  Module.syncBuiltinESMExports();
}

function wrapRequire(): void {
  const proto = Module.prototype as unknown as Record<string, unknown>;
  if (isWrapper(proto['require'])) return;
  const p = patch(proto, 'require', createRequireWrapper(proto['require'] as (this: unknown, id: string) => unknown));
  if (p !== undefined) patches.push(p);
}

function installLazy(entries: readonly ApiEntry[]): void {
  const lazy = entries.filter((e) => e.lazy === true);
  if (lazy.length === 0) return;
  if (eagerLazyModules) {
    wrapTargets(resolveTargets(lazy, loadBuiltin));
    return;
  }
  const pending = new Set(lazy.map((e) => e.module));
  lazyListener = (id) => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!pending.has(name)) return;
    pending.delete(name);
    wrapTargets(resolveTargets(lazy.filter((e) => e.module === name), loadBuiltin));
    applySettings(state.settings);
    syncEsm();
  };
  // Loaded before loopguard: loading it again shows nothing.
  const loaded = (process as { moduleLoadList?: string[] }).moduleLoadList ?? [];
  for (const name of [...pending]) if (loaded.includes(`NativeModule ${name}`)) lazyListener(name);
  if (pending.size === 0) return;
  // require() (CommonJS) and process.getBuiltinModule() hand the module back synchronously.
  loadListeners.push(lazyListener);
  const proc = process as unknown as Record<string, unknown>;
  const listener = lazyListener;
  if (typeof proc['getBuiltinModule'] === 'function') {
    const original = proc['getBuiltinModule'] as (id: string) => unknown;
    const p = patch(proc, 'getBuiltinModule', function (this: unknown, id: string) {
      const mod = Reflect.apply(original, this, arguments);
      if (typeof id === 'string') listener(id);
      return mod;
    });
    if (p !== undefined) patches.push(p);
  }
  // An ESM import is seen only through the ExperimentalWarning its loading emits; the module
  // body finishes before any importer runs, so patching in a microtask is in time.
  const emitWarning = proc['emitWarning'] as (...args: unknown[]) => void;
  const p = patch(proc, 'emitWarning', function (this: unknown, warning: unknown) {
    const text = warning instanceof Error ? warning.message : String(warning);
    if (text.startsWith('SQLite is an experimental feature')) queueMicrotask(() => listener('sqlite'));
    return Reflect.apply(emitWarning, this, arguments);
  });
  if (p !== undefined) patches.push(p);
}

/** Wraps the blocking APIs of a package the application just loaded. */
function wrapLoaded(targets: readonly Target[]): void {
  if (targets.length === 0) return;
  wrapTargets(targets);
  applySettings(state.settings);
}

/** The integrations' files and the blocking APIs of npm packages, patched when the application loads them. */
function hookPackages(chosen: readonly Integration[]): () => void {
  const integrationError = (integration: Integration, what: string, error: unknown): void => {
    const text = error instanceof Error ? error.message : String(error);
    warnOnce(`integration:${what}`, `loopguard: could not hook ${integration.name} (${what}): ${text}; its handlers are not tracked`);
  };
  const packageError = (pkg: string, error: unknown): void => {
    const text = error instanceof Error ? error.message : String(error);
    warnOnce(`package:${pkg}`, `loopguard: could not hook ${pkg}: ${text}; its blocking calls are reported as Node's, if at all`);
  };
  const files: FileHook[] = packageFileHooks(wrapLoaded, packageError);
  const esm: EsmHook[] = packageEsmHooks(wrapLoaded, packageError);
  for (const integration of chosen) {
    for (const target of integration.targets) {
      files.push({ file: target.file, patch: (exports) => target.patch(exports), onError: (error) => integrationError(integration, target.file, error) });
    }
    const build = integration.esm;
    if (build !== undefined) {
      esm.push({
        package: integration.package,
        patch: (namespace) => build.patch(namespace),
        onError: (error) => warnOnce(`esm:${integration.name}`, `loopguard: could not hook ${integration.name}'s ESM build: ${error instanceof Error ? error.message : String(error)}; handlers of ESM apps using it are not tracked`),
      });
    }
  }
  const unhookCjs = hookPackageFiles(files);
  const unhookEsm = hookEsmPackages(esm, (packages) => warnOnce('esm-unhooked',
    `on Node ${process.versions.node}, the ES module builds of ${packages.join(', ')} are not hooked (it can only hook them through a loader thread, which changes how the process ends): their handlers and blocking calls are not seen in this ES module app; Node 22.15 or newer hooks them`));
  return () => {
    unhookEsm?.();
    unhookCjs();
  };
}

function settingsSinks(settings: Settings): Sink[] {
  const sinks: Sink[] = [];
  if (settings.console) sinks.push(consoleSink());
  // An instrumentation object given to the SDK (LoopguardInstrumentation) brings its own.
  if (settings.otel !== 'off' && !otelClaimed) {
    const api = loadApi();
    if (api !== undefined) sinks.push(otelSink());
    else if (settings.otel === 'on') {
      throw new ConfigError('LOOPGUARD_OTEL', 'loopguard: invalid LOOPGUARD_OTEL (otel) "on": @opentelemetry/api is not installed; accepted: auto, off, or on with @opentelemetry/api installed');
    }
  }
  const file = settings.reportFile;
  if (file !== undefined) {
    try {
      sinks.push(jsonlSink(file));
    } catch (error) {
      throw new ConfigError('LOOPGUARD_REPORT_FILE', `loopguard: invalid LOOPGUARD_REPORT_FILE (reportFile) ${JSON.stringify(file)}: ${(error as Error).message}; accepted: a writable regular file's path`);
    }
  }
  return sinks;
}

/** Opens what the settings ask for (the report file) so that a bad value fails now. */
function useSettings(settings: Settings): void {
  if (settings.reportArgs) warnOnce('report-args', 'LOOPGUARD_REPORT_ARGS (reportArgs) no longer shows command lines: they hold passwords and tokens; reports show the program\'s name only');
  const sinks = settingsSinks(settings);
  for (const remove of settingSinks) remove();
  settingSinks = sinks.map((s) => state.dispatcher.addSink(s));
  applySettings(settings);
  containStrictErrors(settings.mode === 'strict');
  if (state.installed) useWatchdog(ownThread, settings.stallMs, { warn: warnOnce });
}

export interface InstallResult {
  /** false when another copy of loopguard was installed first (this one stays inactive). */
  active: boolean;
  wrapped: number;
}

/**
 * Wraps every blocking API of the table (idempotent: calling it again applies new options).
 * Throws ConfigError for invalid options, before anything is wrapped.
 */
export function install(settings: Settings): InstallResult {
  const other = holder[kInstance];
  if (other !== undefined && other.root !== __dirname) {
    // Two versions in one tree: one guards, the other's API (onReport, summary, ...) uses its reports.
    const text = `another copy (${other.version}, ${other.root}) is already active; this one (${version}, ${__dirname}) reports through it`;
    if (!warned.has('copy')) (other.warn ?? warn)(text);
    warned.add('copy');
    if (typeof other.dispatcher === 'function') state.dispatcher = other.dispatcher();
    return { active: false, wrapped: 0 };
  }
  if (state.installed) {
    useSettings(settings);
    return { active: true, wrapped: patches.length };
  }
  if (settings.mode === 'off') {
    applySettings(settings);
    return { active: true, wrapped: 0 };
  }
  state.dispatcher.warn = warn;
  useSettings(settings);
  const entries = discoverEntries(loadBuiltin);
  wrapTargets(resolveTargets(entries.filter((e) => e.lazy !== true), loadBuiltin));
  warnAboutEarlyCopies();
  // Before wrapping require: the module-load wrapper must be outermost, so that the hook's own
  // work during a require inside a handler counts as part of that require.
  const chosen = settings.integrations === 'off' ? [] : settings.integrations === 'auto'
    ? integrations : integrations.filter((i) => (settings.integrations as readonly string[]).includes(i.name));
  unhookPackages = hookPackages(chosen);
  wrapRequire();
  installLazy(entries);
  applySettings(settings);
  syncEsm();
  state.installed = true;
  holder[kInstance] = { version, root: __dirname, dispatcher: () => state.dispatcher, warn };

  handlerStorage.exit(() => setImmediate(() => {
    state.everywhere = state.installed && state.settings.scope === 'all';
  }));
  onThreadFailure((text) => state.dispatcher.countError(new Error(text), 'writing reports', false));
  stopExitHook = onProcessEnd(() => {
    watchdogAtExit();
    state.dispatcher.close();
    stopOwnThread();
  });
  useWatchdog(ownThread, settings.stallMs, { warn: warnOnce });
  return { active: true, wrapped: patches.length };
}

/** Takes OpenTelemetry export from the settings (or gives it back): the settings' sink goes or comes. */
export function claimOtel(claimed: boolean): void {
  otelClaimed = claimed;
  if (state.installed) useSettings(state.settings);
}

export function configure(options: Options): void {
  restoreSettings(settingsFromOptions(options, state.settings));
}

/** Puts complete settings in force (sinks included), e.g. ones saved before a test changed them. */
export function restoreSettings(settings: Settings): void {
  if (state.installed) useSettings(settings);
  else applySettings(settings);
}

/** Restores every original function, closes the sinks (writing what is queued). */
export function uninstall(): void {
  if (!state.installed) return;
  for (const p of patches.reverse()) {
    if (!unpatch(p)) warnOnce(`unpatch:${p.key}`, `loopguard: ${p.key} was wrapped again by another tool after loopguard; it is left in place`);
  }
  patches = [];
  unhookPackages?.();
  unhookPackages = undefined;
  resetAcks();
  stopWatchdog();
  resetAtRisk();
  containStrictErrors(false);
  syncEsm();
  if (lazyListener !== undefined) loadListeners.splice(loadListeners.indexOf(lazyListener), 1);
  lazyListener = undefined;
  stopExitHook?.();
  stopExitHook = undefined;
  state.dispatcher.close();
  stopOwnThread();
  state.dispatcher = new Dispatcher();
  settingSinks = [];
  state.guarded = [];
  state.installed = false;
  state.everywhere = false;
  state.depth = 0;
  state.loading = undefined;
  delete holder[kInstance];
}

export function isInstalled(): boolean {
  return state.installed;
}
