/*
 * An integration makes a library's event handlers into loopguard handlers. It names module files
 * of the library and patches their exports in place when they load (or right away, when the
 * library was loaded before loopguard). Adding a library is adding a file with one of these.
 */

export interface IntegrationTarget {
  /** A file of the package, as `package/relative/path.js` (what require-in-the-middle calls it). */
  readonly file: string;
  /** Patches the module's exports in place. Returns a function that undoes it, if it patched. */
  patch(exports: unknown): (() => void) | undefined;
}

export interface Integration {
  /** The handler source reports show, e.g. `discord.js`. */
  readonly name: string;
  /** The npm package. */
  readonly package: string;
  readonly targets: readonly IntegrationTarget[];
  /** For a library whose ESM build is a separate file: patches the ESM module's namespace. */
  readonly esm?: { patch(namespace: Record<string, unknown>): (() => void) | undefined };
}
