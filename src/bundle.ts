/*
 * What the preload and the API load, built into one file (dist/loopguard.js, scripts/build.js):
 * loading one file instead of some sixty takes a fifth off the preload's start-up. Each entry's
 * modules run when it is first asked for. The emulator (loopguard/testing) and the report command
 * are bundles of their own, which this one never has to read: a third of the code, 6 to 7 ms of
 * every start on Node 24. The testing bundle takes guardTests from here (it acts on the runtime).
 * Reporting (runtime/reporting.ts) and `otel` (loopguard/otel) are bundles of their own as well,
 * read when first needed; they take the modules of this one that they use from here.
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
  testGuard: (): typeof import('./testing/test-guard') => require('./testing/test-guard'),
};
