import type { Report } from '../core/reports';

/*
 * Where fixes are explained: docs/fixing.md's anchors, one per kind of report. A test checks that
 * every link a report can carry resolves.
 */

const base = 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#';

/** The README section that explains how to fix this kind of call. */
export function docsFor(kind: Report['kind']): string {
  return `${base}fixing-${kind}`;
}

/** Where every kind of fix is listed. */
export const docsIndex = `${base}fixing-blocking-calls`;
