import { join, sep } from 'node:path';

/*
 * Where loopguard's own files are, in one place. Built, the package is dist/loopguard.js behind its
 * entry points, bundles beside it (OpenTelemetry export, the emulator, the report command) and the
 * thread's own dist/thread/entry.js (scripts/build.js). Under vitest the sources run from src/; the
 * thread then still runs built.
 */

const fromSources = __filename.endsWith('.ts');

/** The package's folder. */
export const packageRoot: string = fromSources ? join(__dirname, '..', '..') : __dirname.slice(0, __dirname.lastIndexOf(`${sep}dist`));

/** A file of the built package, e.g. `thread/entry.js`. */
export const builtFile = (path: string): string => join(packageRoot, 'dist', path);

/** The folders whose code is loopguard's: dist/, and src/, which dist's source maps name. */
export const ownFolders: readonly string[] = [join(packageRoot, 'dist') + sep, join(packageRoot, 'src') + sep];
