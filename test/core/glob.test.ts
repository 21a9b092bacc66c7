import { describe, expect, it } from 'vitest';
import { compileMatchers, nameMatcher, pathMatcher } from '../../src/core/glob';

/* The allow-lists' matchers: LOOPGUARD_ALLOW_SITES globs and LOOPGUARD_ALLOW API patterns. */

describe('call-site globs', () => {
  const match = (patterns: (string | RegExp)[], path: string) => compileMatchers(patterns, pathMatcher)(path);
  it.each([
    ['**/node_modules/sharp/**', '/app/node_modules/sharp/lib/index.js', true],
    ['**/node_modules/{sharp,canvas}/**', '/app/node_modules/canvas/index.js', true],
    ['**/node_modules/{sharp,canvas}/**', '/app/node_modules/other/index.js', false],
    ['src/migrations/*', '/app/src/migrations/001.js', true],
    ['src/migrations/*', '/app/src/migrations/old/001.js', false],
    ['src/x.js', '/home/bot/src/x.js', true],
    ['src/x.js', '/home/bot/xsrc/x.js', false],
    ['/abs/[ab].js', '/abs/b.js', true],
    ['/abs/[ab].js', '/abs/c.js', false],
    ['**/*.test.ts', '/app/test/.hidden/a.test.ts', true],
  ])('%s on %s: %s', (pattern, path, expected) => {
    expect(match([pattern], path)).toBe(expected);
  });
  it('compares Windows paths with / separators, and takes RegExps as they are', () => {
    expect(match(['src/x.js'], 'C:\\bot\\src\\x.js')).toBe(true);
    expect(match([/migrations/], '/app/src/migrations/1.js')).toBe(true);
    expect(match([], '/app/x.js')).toBe(false);
  });
});

describe('API name patterns', () => {
  const match = (patterns: string[], api: string) => compileMatchers(patterns, nameMatcher)(api);
  it.each([
    ['zlib.*', 'zlib.gzipSync', true],
    ['fs.*Sync', 'fs.readFileSync', true],
    ['fs.*Sync', 'fs.promises', false],
    ['crypto.pbkdf2Sync', 'crypto.scryptSync', false],
    ['better-sqlite3.Statement#*', 'better-sqlite3.Statement#get', true],
  ])('%s on %s: %s', (pattern, api, expected) => {
    expect(match([pattern], api)).toBe(expected);
  });
});
