import type { Undo } from '../core/undo';
import type { ClientEvents } from './client-emit';

/*
 * An integration makes a bot library's event handlers into loopguard handlers. It names module
 * files of the library and patches their exports in place when they load (or right away, when
 * the library was loaded before loopguard). Adding a library is adding a file with one of these
 * (and a line in libraries/index.ts).
 */

export interface IntegrationTarget {
  /** A file of the package, as `package/relative/path.js` (its path after node_modules/). */
  readonly file: string;
  /** Patches the module's exports in place. Returns its undo, if it patched. */
  patch(exports: unknown, events: ClientEvents): Undo | undefined;
}

export interface Integration {
  /** The handler source reports show, e.g. `discord.js`; what LOOPGUARD_INTEGRATIONS names. */
  readonly name: string;
  /** The npm package. */
  readonly package: string;
  readonly targets: readonly IntegrationTarget[];
  /** For a library whose ESM build is a separate file: patches the ESM module's namespace. */
  readonly esm?: { patch(namespace: Record<string, unknown>, events: ClientEvents): Undo | undefined };
}
