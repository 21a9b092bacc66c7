'use strict';
// The flood benchmark's variants: loopguard and what a user would otherwise pick, each run as the
// same discord.js bot (bench/flood/bot.js) on the same Node. `baseline` is the variant its ratios
// are paired with (the same bot and handler with no tool); `nodes` limits a variant to some majors.
const path = require('node:path');
const { buildName } = require('./common');

const register = require.resolve('loopguard/register');
const preload = (name) => path.join(__dirname, '..', 'flood', name);
const loopguard = ['-r', register];

/** @type {{ key: string, name: string, tells: string, args: string[], env: Record<string, string>, handler?: 'sync' | 'stat' | 'nosync', baseline?: string, nodes?: (major: number) => boolean }[]} */
const floodVariants = [
  // Every event a handler with one small sync call (fs.existsSync): the worst case for loopguard.
  { key: 'none', name: 'no tool', tells: 'nothing', args: [], env: {} },
  {
    key: 'loopguard', name: 'loopguard', baseline: 'none', args: loopguard, env: {},
    tells: 'the handler, the line, the API and its async alternative; stalls with their stack',
  },
  {
    key: 'loopguard-otel-off', name: 'loopguard, LOOPGUARD_OTEL=off', baseline: 'none', args: loopguard, env: { LOOPGUARD_OTEL: 'off' },
    tells: 'as loopguard (no OpenTelemetry even with @opentelemetry/api installed)',
  },
  {
    key: 'loopguard-no-watchdog', name: 'loopguard, no watchdog', baseline: 'none', args: loopguard, env: { LOOPGUARD_STALL_MS: 'off' },
    tells: 'as loopguard, without stalls',
  },
  {
    // Where the worst case's cost goes, by elimination: the same handler and call, the call
    // allowed, so loopguard makes the handler's context and runs its wrapper, and reports nothing.
    key: 'loopguard-allowed', name: 'loopguard, the call allowed (LOOPGUARD_ALLOW)', baseline: 'none', args: loopguard,
    env: { LOOPGUARD_ALLOW: 'fs.existsSync' }, tells: 'nothing of the call: the handler context and the wrapper alone',
  },
  {
    key: 'loopguard-otel-sdk', name: 'loopguard + OTel SDK (every trace)', baseline: 'none',
    args: ['-r', preload('otel-sdk.js'), ...loopguard], env: {},
    tells: 'as loopguard, and a span per handled event with the call on it',
  },
  {
    key: 'loopguard-otel-sdk-1pc', name: 'loopguard + OTel SDK (1 % of traces)', baseline: 'none',
    args: ['-r', preload('otel-sdk.js'), ...loopguard], env: { FLOOD_OTEL_RATIO: '0.01' },
    tells: 'as loopguard, and a span for 1 % of handled events (ParentBased(TraceIdRatioBased(0.01)))',
  },
  {
    key: 'loopguard-otel-traces-1pc', name: 'loopguard + OTel tracer only (1 % of traces)', baseline: 'none',
    args: ['-r', preload('otel-sdk.js'), ...loopguard], env: { FLOOD_OTEL_RATIO: '0.01', FLOOD_OTEL_METRICS: 'off' },
    tells: 'as the one above without a meter provider: what its metrics cost',
  },
  {
    key: 'bare-otel-1pc', name: 'bare OTel consumer span per handled event + SDK (1 % of traces)', baseline: 'none',
    args: ['-r', preload('otel-sdk.js')], env: { FLOOD_OTEL_RATIO: '0.01', FLOOD_BARE_OTEL: '1' },
    tells: 'nothing of blocking (what a span per event, active around its listeners, costs any instrumentation)',
  },
  {
    key: 'otel-fs', name: 'OTel instrumentation-fs + SDK', baseline: 'none', args: ['-r', preload('otel-fs.js')], env: {},
    tells: 'a span per fs call (async ones too), with its parent span if there is one; no stack',
  },
  {
    key: 'blocked-at', name: 'blocked-at', baseline: 'none', args: ['-r', preload('blocked-at.js')], env: {},
    tells: 'callbacks over 20 ms, with the stack where their async resource was made',
  },
  {
    key: 'event-loop-delay', name: 'monitorEventLoopDelay only', baseline: 'none', args: ['-r', preload('event-loop-delay.js')], env: {},
    tells: 'a delay histogram: numbers, no attribution',
  },
  {
    key: 'bare-als', name: 'bare AsyncLocalStorage.run per event', baseline: 'none', args: [], env: { FLOOD_BARE_ALS: '1' },
    tells: 'nothing (what any async-context tool costs on this Node)',
  },
  // Every event a handler, no sync call in it: nothing to report.
  { key: 'none-nosync', name: 'no tool, handler without sync call', handler: 'nosync', tells: 'nothing', args: [], env: {} },
  {
    key: 'loopguard-nosync', name: 'loopguard, handler without sync call', handler: 'nosync', baseline: 'none-nosync', args: loopguard, env: {},
    tells: 'nothing to tell (no blocking call); stalls',
  },
  {
    key: 'bare-als-nosync', name: 'bare ALS, handler without sync call', handler: 'nosync', baseline: 'none-nosync', args: [], env: { FLOOD_BARE_ALS: '1' },
    tells: 'nothing',
  },
  // fs.statSync in the handler: `node --trace-sync-io` does not see fs.existsSync (it warns about
  // none of the handler's calls above), it sees statSync.
  { key: 'none-stat', name: 'no tool, statSync', handler: 'stat', tells: 'nothing', args: [], env: {} },
  {
    key: 'loopguard-stat', name: 'loopguard, statSync', handler: 'stat', baseline: 'none-stat', args: loopguard, env: {},
    tells: 'as loopguard',
  },
  {
    key: 'trace-sync-io-stat', name: 'node --trace-sync-io, statSync', handler: 'stat', baseline: 'none-stat', args: ['--trace-sync-io'], env: {},
    tells: 'a warning with a stack on stderr at every sync call (no handler, no aggregation; stderr to a file)',
  },
  // Node 22.7+ offers AsyncLocalStorage on the async context frame (the default from Node 24).
  ...[
    { key: 'none-acf', name: 'no tool, async context frame', tells: 'nothing', args: [], env: {} },
    { key: 'loopguard-acf', name: 'loopguard, async context frame', baseline: 'none-acf', args: loopguard, env: {}, tells: 'as loopguard' },
    { key: 'bare-als-acf', name: 'bare ALS, async context frame', baseline: 'none-acf', args: [], env: { FLOOD_BARE_ALS: '1' }, tells: 'nothing' },
  ].map((v) => ({ ...v, args: ['--experimental-async-context-frame', ...v.args], nodes: (major) => major === 22 })),
];

// LOOPGUARD_BEFORE=<a built checkout of an earlier loopguard>: that build beside today's, as
// `loopguard-before` (what bench:profile's before-and-after reads).
const before = process.env.LOOPGUARD_BEFORE;
if (before) {
  floodVariants.push({
    key: 'loopguard-before', name: `loopguard before (${buildName(before)})`, baseline: 'none',
    args: ['-r', path.resolve(before, 'dist', 'register.js')], env: {}, tells: 'as loopguard, from the earlier build',
  });
}

// FLOOD_VARIANTS (JSON, { "name": { "args": [...], "env": {...} } }): more variants, for
// bench:flood and bench:profile alike, each against no tool.
for (const [name, v] of Object.entries(JSON.parse(process.env.FLOOD_VARIANTS ?? '{}'))) {
  floodVariants.push({ key: name, name, tells: '', baseline: 'none', args: v.args ?? [], env: v.env ?? {} });
}

module.exports = { floodVariants };
