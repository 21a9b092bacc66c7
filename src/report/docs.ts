import type { Report } from './types';

const base = 'https://github.com/loopguard/loopguard#';

/** The README section that explains how to fix this kind of call. */
export function docsFor(kind: Report['kind']): string {
  return `${base}fixing-${kind}`;
}
