import type { ApiEntry } from '../apis/types';
import { defaults, type Settings } from '../config';
import { Dispatcher } from '../report/dispatcher';
import type { Pair } from '../report/sampling';
import { compileMatchers, globToRegExp, nameToRegExp } from '../util/glob';

/** A wrapped API as the guard uses it: the table entry plus what settings decided about it. */
export interface Guarded {
  readonly entry: ApiEntry;
  /** Allowed by `allowApis`: the wrapper calls straight through. */
  allowed: boolean;
  /** Sampling state per handler kind (see report/sampling.ts). */
  readonly pairs: Map<string, Pair>;
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
 * The guard's mutable state, read by every wrapper. One object so that the hot path reads plain
 * fields, and so that tests and uninstall() can reset it in one place.
 */
export const state = {
  settings: defaults as Settings,
  installed: false,
  /** `scope: all` and start-up is over: calls outside handlers are judged too. */
  everywhere: false,
  /** Guarded calls in progress on the stack: nested public calls (readFileSync → openSync) count once. */
  depth: 0,
  loading: undefined as LoadFrame | undefined,
  dispatcher: new Dispatcher(),
  allowedSite: (_file: string): boolean => false,
  allowedApi: (_api: string): boolean => false,
  guarded: [] as Guarded[],
};

/** Recomputes what depends on the settings (allow-lists). */
export function applySettings(settings: Settings): void {
  state.settings = settings;
  state.allowedSite = compileMatchers(settings.allowSites, globToRegExp);
  const allowedApi = compileMatchers(settings.allowApis, nameToRegExp);
  state.allowedApi = allowedApi;
  for (const g of state.guarded) g.allowed = allowedApi(g.entry.api);
}
