import type { ApiKind } from '../core/reports';

export type { ApiKind };

/**
 * Calls of an API that do not block in practice and are not reported.
 * - `stdio`: the first argument is fd 1 or 2 (what `console.log` does when output is a file).
 */
export type Exemption = 'stdio';

/** One blocking API: where it lives, what it is and what to use instead. */
export interface ApiEntry {
  /** The name reports, errors and allow-lists use, e.g. `fs.readFileSync`. */
  readonly api: string;
  /** Builtin module id without `node:` (`fs`, `zlib`, ...), `globalThis`, or an npm package (src/apis/packages.ts). */
  readonly module: string;
  /**
   * Property path from the module's exports to the function, e.g. `['Dir', 'prototype', 'readSync']`.
   * Empty for a package that blocks only through Node's APIs: those calls are reported as this entry.
   */
  readonly path: readonly string[];
  /**
   * For packages: the file whose exports `path` starts from, as `package/relative/path.js`
   * (default: the package's main file).
   */
  readonly file?: string;
  /**
   * For packages that wrap another one (quick.db wraps better-sqlite3; documentation): the blocking
   * calls made during a call of this API, also after its awaits, are counted as this one call, and
   * its report's `via` names the module that really blocked (`fs` for quick.db's JSON driver).
   */
  readonly wraps?: string;
  /** @deprecated The old name of `wraps` (set on apiTable's entries for one release). */
  readonly over?: string;
  /** The API returns a promise: strict mode rejects it instead of throwing. */
  readonly async?: boolean;
  /** The package has a separate ESM build, whose namespace (and default export) are patched too. */
  readonly esm?: boolean;
  readonly kind: ApiKind;
  /** The non-blocking alternative to suggest. */
  readonly alternative: string;
  /** First Node major that has it (documentation; presence is checked at run time). */
  readonly since?: number;
  /** Only wrapped on the main thread: blocking is the point of a worker. */
  readonly mainThreadOnly?: boolean;
  readonly exempt?: Exemption;
  /** Wrapped only after the application loads the module (loading it early has visible effects). */
  readonly lazy?: boolean;
  /** What of the arguments a report may show: `program`, the executable's name (never the rest by default). */
  readonly detail?: 'program';
}

/** A family of functions discovered at run time (`fs.*Sync`), so that new Node releases are covered. */
export interface ApiFamily {
  readonly module: string;
  readonly pattern: RegExp;
  readonly kind: ApiKind;
  /** Derives the alternative from the function name. */
  alternative(name: string): string;
}
