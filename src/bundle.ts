/*
 * What the package's entry points load, built into one file (dist/loopguard.js, scripts/build.js):
 * loading one file instead of some sixty takes a fifth off the preload's start-up. Each entry's
 * modules run when it is first asked for: the preload never runs the emulator's or the report
 * command's.
 */
import { preload, preloadedAsPackage } from './runtime/preload';

/** What an entry point passes of its own module: the parent tells how it was loaded. */
interface Entry {
  parent?: { id?: string } | null;
}

export const entries = {
  index: (entry?: Entry): typeof import('./index') => {
    const api = require('./index') as typeof import('./index');
    // `node -r loopguard app.js` (without /register) does what the preload does, rather than nothing.
    if (preloadedAsPackage(entry?.parent?.id)) preload();
    return api;
  },
  register: (): typeof import('./register') => require('./register'),
  otel: (): typeof import('./otel') => require('./otel'),
  testing: (): typeof import('./testing/index') => require('./testing/index'),
  cli: (): typeof import('./cli/index') => require('./cli/index'),
};
