/*
 * The preload: `node -r loopguard/register app.js` or `node --import loopguard/register app.mjs`.
 * Reads LOOPGUARD_* variables and wraps the blocking APIs before the application runs. An invalid
 * variable stops the process here with one line that names it and the accepted values.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './config/settings';
import { install } from './index';
import { threadMarker } from './thread/protocol';

/*
 * Threads that are not the app's: loopguard's own (which inherits a preload given in NODE_OPTIONS)
 * and Node's internal ones (the module loader hooks thread of Node 20, which runs preloads too and
 * has no parentPort). loopguard stays inactive in them: no report file, no warning, no %t of theirs.
 */
const notTheApps = !isMainThread && (parentPort === null || (workerData as Record<string, unknown> | null)?.[threadMarker] === true);

if (!notTheApps) {
  try {
    install();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
