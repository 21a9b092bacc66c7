import type { Options } from '../config/settings';
import type { Occurrence } from '../core/occurrence';
import type { Report } from '../core/reports';
import { reportOf } from '../report/build';
import { reportLine } from '../report/phrases';
import { activeRuntime, installedRuntime, installOwn } from '../runtime/active';
import { settingsFromEnv, settingsFromOptions } from '../config/settings';

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

  /** What blocked, one report per call (each with its site, stack and handler). */
  constructor(readonly reports: readonly Report[]) {
    super(describeAll(reports));
  }

  /** @deprecated Use `reports` (the same calls, as public reports). */
  get occurrences(): readonly Report[] {
    return this.reports;
  }
}

function describeAll(reports: readonly Report[]): string {
  const lines = reports.slice(0, 10).map((r) => `  ${reportLine(r).replace(/^\[loopguard\] /, '')}`);
  if (reports.length > 10) lines.push(`  … and ${reports.length - 10} more`);
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
  let seen: Report[] = [];
  let stop: (() => void) | undefined;
  let previous = activeRuntime().settings;
  hooks.beforeEach(() => {
    if (installedRuntime() === undefined) installOwn(settingsFromOptions({ console: false }, settingsFromEnv(process.env)));
    const runtime = activeRuntime();
    previous = runtime.settings;
    runtime.configure({ ...options.settings, mode: options.mode ?? 'strict' });
    seen = [];
    // Every occurrence, not reports: a site already reported in an earlier test must fail this one
    // too. Its report is made now, while the call is on the stack.
    stop = runtime.observe((o: Occurrence) => {
      if (o.type === 'interaction-ack' && options.interactions === false) return;
      if (o.type === 'stall' && options.stalls === false) return;
      seen.push(reportOf(o));
    });
  });
  hooks.afterEach(() => {
    stop?.();
    stop = undefined;
    activeRuntime().configure(previous);
    if (seen.length > 0) throw new BlockedDuringTestError(seen);
  });
}
