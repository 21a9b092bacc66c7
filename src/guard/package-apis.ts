import { packageApis } from '../apis/packages';
import { targetOf, type Target } from '../apis/resolve';
import type { ApiEntry } from '../apis/types';
import { groupBy } from '../core/group';
import { packageOfFile } from '../core/packages';
import type { EsmHook } from '../hooks/esm-packages';
import type { FileHook } from '../hooks/package-files';

/*
 * The hooks that wrap the blocking APIs of npm packages (src/apis/packages.ts) when the
 * application loads them: one per file for CommonJS, one per package for ESM builds.
 */

type Wrap = (targets: readonly Target[]) => void;
type OnError = (pkg: string, error: unknown) => void;

const hooked = packageApis.filter((e) => e.path.length > 0);

function targetsIn(entries: readonly ApiEntry[], roots: readonly unknown[]): Target[] {
  const targets: Target[] = [];
  for (const root of roots) {
    if (root === null || (typeof root !== 'object' && typeof root !== 'function')) continue;
    for (const entry of entries) {
      const target = targetOf(entry, root);
      if (target !== undefined) targets.push(target);
    }
  }
  return targets;
}

export function packageFileHooks(wrap: Wrap, onError: OnError): FileHook[] {
  return [...groupBy(hooked, (entry) => entry.file ?? entry.module)].map(([file, entries]) => ({
    file,
    patch(exports) {
      wrap(targetsIn(entries, [exports]));
      return undefined; // wrap() pushed the undo of each function it wrapped
    },
    onError: (error) => onError(packageOfFile(file), error),
  }));
}

/** ESM builds: the namespace's bindings and the default export's properties (`bcrypt.default.hashSync`). */
export function packageEsmHooks(wrap: Wrap, onError: OnError): EsmHook[] {
  return [...groupBy(hooked.filter((entry) => entry.esm === true), (entry) => entry.module)].map(([pkg, entries]) => ({
    package: pkg,
    patch(namespace) {
      wrap(targetsIn(entries, [namespace, namespace['default']]));
      return undefined;
    },
    onError: (error) => onError(pkg, error),
  }));
}
