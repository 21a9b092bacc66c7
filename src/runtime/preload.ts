import { ConfigError, settingsFromEnv } from '../config/settings';
import { isMainThread } from '../core/main-thread';
import { threadMarker } from '../thread/protocol';
import { installOwn } from './active';

/*
 * What a preload does (`-r loopguard/register`, `--import loopguard/register`, and `-r loopguard`
 * alike): install from the LOOPGUARD_* variables, or stop the process with one line naming a
 * variable it does not accept. Threads that are not the app's stay untouched: loopguard's own
 * (which inherits a preload given in NODE_OPTIONS) and Node's internal ones (Node 20's module
 * loader hooks thread runs preloads too, and has no parentPort) — so %t never names them.
 */
export function preload(): void {
  if (!isMainThread) {
    const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
    if (parentPort === null || (workerData as Record<string, unknown> | null)?.[threadMarker] === true) return;
  }
  try {
    installOwn(settingsFromEnv(process.env), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/** Whether the package itself (not loopguard/register) is being preloaded: `-r loopguard`, `--import loopguard`. */
export function preloadedAsPackage(parentId: string | undefined): boolean {
  if (parentId === 'internal/preload') return true;
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return args.some((arg, i) => arg === '--import=loopguard' || (arg === '--import' && args[i + 1] === 'loopguard'));
}
