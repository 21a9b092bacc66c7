import type Picomatch = require('picomatch');

/*
 * The allow-lists' matchers, by picomatch (Node 20 has no path.matchesGlob): `**` crosses folders,
 * `*` and `?` do not, `{a,b}` and `[ab]` work as in a shell. A relative pattern matches below any
 * folder (`src/x.js` matches `/app/src/x.js`); paths are compared with `/` separators.
 */

export type Matcher = (text: string) => boolean;

/** Loaded with the first pattern: most apps set no allow-list, and start-up should not pay for it. */
const picomatch = (glob: string, options: Picomatch.PicomatchOptions): Matcher => (require('picomatch') as typeof Picomatch)(glob, options);

/** A call-site path glob. */
export function pathMatcher(glob: string): Matcher {
  const anchored = glob.startsWith('/') || glob.startsWith('**') || /^[A-Za-z]:[\\/]/.test(glob);
  return picomatch(anchored ? glob : `**/${glob}`, { dot: true, windows: false });
}

/** An API name pattern: `*` matches anything (`zlib.*`, `fs.*Sync`). */
export function nameMatcher(pattern: string): Matcher {
  return picomatch(pattern, { dot: true, windows: false });
}

/** One matcher for a list of patterns (strings compiled by `compile`, RegExps as they are). */
export function compileMatchers(patterns: readonly (string | RegExp)[], compile: (pattern: string) => Matcher): Matcher {
  const matchers = patterns.map((p): Matcher => (typeof p === 'string' ? compile(p) : (text) => p.test(text)));
  if (matchers.length === 0) return () => false;
  return (text) => {
    const path = text.replaceAll('\\', '/');
    return matchers.some((m) => m(path));
  };
}
