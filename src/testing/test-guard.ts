import { configure, install, isInstalled } from '../index';
import type { Options } from '../config';
import { restoreSettings } from '../guard/install';
import { state } from '../guard/state';
import type { Occurrence } from '../report/dispatcher';
import { describeHandler, describeSite } from '../report/errors';

/** The hook functions of a test runner (vitest, node:test, jest, mocha all have these). */
export interface TestHooks {
  beforeEach(fn: () => void): unknown;
  afterEach(fn: () => void): unknown;
}

export interface TestGuardOptions {
  /** Default `strict`: a blocking call throws in the handler. `report` only fails the test. */
  mode?: 'strict' | 'report';
  /** Also fail on interactions acknowledged late or delayed by blocking calls. Default true. */
  interactions?: boolean;
  /** Also fail on stalls in handlers (a CPU loop the watchdog caught, see LOOPGUARD_STALL_MS). Default true. */
  stalls?: boolean;
  /** Settings for the duration of each test (allow-lists and such). */
  settings?: Omit<Options, 'mode'>;
}

/** Thrown by the after-each hook when handlers blocked during the test. */
export class BlockedDuringTestError extends Error {
  override readonly name = 'BlockedDuringTestError';
  constructor(readonly occurrences: readonly Occurrence[]) {
    super(describeAll(occurrences));
  }
}

function describeOne(o: Occurrence): string {
  const handler = describeHandler(o.handler === undefined ? null : { source: o.handler.source, event: o.handler.event });
  const site = describeSite(o.callers.site ?? null);
  if (o.type === 'interaction-ack') {
    return `  ${o.api} ${o.outcome === 'late' ? 'after the 3 s deadline' : 'delayed by blocking calls'} in ${handler} at ${site}`;
  }
  if (o.type === 'stall') return `  the event loop stalled for ${Math.round(o.durationMs)} ms in ${o.api} in ${handler} at ${site} → ${o.hint}`;
  const call = o.module === undefined ? o.api : `${o.api}(${JSON.stringify(o.module)})`;
  const via = o.callers.via === undefined ? '' : ` (inside ${o.callers.via})`;
  return `  ${call}${o.outcome === 'thrown' ? ' (stopped)' : ''} in ${handler} at ${site}${via} → use ${o.hint}`;
}

function describeAll(occurrences: readonly Occurrence[]): string {
  const lines = occurrences.slice(0, 10).map(describeOne);
  if (occurrences.length > 10) lines.push(`  … and ${occurrences.length - 10} more`);
  return `loopguard: handlers blocked the event loop during this test:\n${lines.join('\n')}`;
}

/**
 * Makes every test in the file fail when an event handler blocks during it: strict mode for the
 * test's duration (like blockbuster's pytest fixture). Works with any runner's hooks:
 *
 *   import { beforeEach, afterEach } from 'vitest';   // or 'node:test'
 *   guardTests({ beforeEach, afterEach });
 */
export function guardTests(hooks: TestHooks, options: TestGuardOptions = {}): void {
  let seen: Occurrence[] = [];
  let stop: (() => void) | undefined;
  let previous = state.settings;
  hooks.beforeEach(() => {
    if (!isInstalled()) install({ console: false });
    previous = state.settings;
    configure({ ...options.settings, mode: options.mode ?? 'strict' });
    seen = [];
    // Every occurrence, not reports: a site already reported in an earlier test must fail this one too.
    stop = state.dispatcher.observe((o) => {
      if (o.type === 'interaction-ack' && options.interactions === false) return;
      if (o.type === 'stall' && options.stalls === false) return;
      seen.push(o);
    });
  });
  hooks.afterEach(() => {
    stop?.();
    stop = undefined;
    restoreSettings(previous);
    if (seen.length > 0) throw new BlockedDuringTestError(seen);
  });
}
