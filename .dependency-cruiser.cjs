// The dependency rule, checked on tsc's file-per-module build of src/ (.tmp/build/, made by
// `npm run build` beside the bundle that runs): every folder depends only on the layers below it,
// and nothing forms a cycle. `npm run check:boundaries` (part of `npm test`) fails on any import
// these rules do not allow.
//
//   façades (index, register, otel, testing/index, boot) → runtime → guard, discord, watchdog, sinks
//   → report, handlers, hooks, thread → config, apis → core
//
// core knows nothing of the rest; nothing but the façades and the runtime knows that sinks,
// integrations and the watchdog exist; the emulator (testing/) and the report command (cli/) are
// never loaded by the guard.

const built = '\\.tmp/build/';
const layer = (name) => `^${built}${name}/`;
const only = (from, ...to) => ({
  from: { path: layer(from) },
  to: { path: `^(${[from, ...to].map((t) => `${built}${t}/`).join('|')})` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a cycle ties two parts together for good', from: {}, to: { circular: true } },
  ],
  allowed: [
    // Node's builtins and npm packages: allowed everywhere (what each may load is its own business).
    { from: {}, to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] } },
    // package.json's version (core/version.js).
    { from: { path: `^${built}core/version\\.js$` }, to: { path: '^package\\.json$' } },
    only('core'),
    only('config', 'core'),
    only('apis', 'core'),
    only('hooks', 'core'),
    only('handlers', 'core'),
    only('thread', 'core'),
    only('report', 'core'),
    only('guard', 'core', 'config', 'apis', 'report'),
    only('sinks', 'core', 'report', 'thread'),
    only('watchdog', 'core', 'thread'),
    only('discord', 'core', 'handlers', 'hooks'),
    only('runtime', 'core', 'config', 'apis', 'hooks', 'handlers', 'thread', 'report', 'guard', 'sinks', 'watchdog', 'discord'),
    only('testing', 'core', 'config', 'report', 'runtime', 'discord'),
    only('cli', 'core'),
    // The façades: the public API re-exports and calls the runtime (never the emulator or the command).
    {
      from: { path: `^${built}(index|register|otel|boot)\\.js$` },
      to: { path: `^${built}((index|register|otel)\\.js|(core|config|apis|handlers|report|sinks|runtime|thread)/)` },
    },
    // The bundle's entry (bundle.ts): the entry points, each loaded when asked for, guardTests (for
    // the testing bundle, which is built apart) and the preload
    // (`-r loopguard` preloads the package itself).
    { from: { path: `^${built}bundle\\.js$` }, to: { path: `^${built}((index|register|otel)\\.js|testing/test-guard\\.js|runtime/preload\\.js)$` } },
  ],
  allowedSeverity: 'error',
  options: {
    includeOnly: `^(${built}|package\\.json$)`,
    exclude: { path: '\\.d\\.ts$|\\.map$' },
    moduleSystems: ['cjs'],
  },
};
