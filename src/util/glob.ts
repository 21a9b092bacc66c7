/*
 * Small glob matcher for allow-lists: `**` crosses folders, `*` and `?` do not.
 * Hand-written (20 lines) rather than a dependency: Node 20 has no path.matchesGlob, and the
 * guard's run-time dependencies are kept to what the design card names.
 */

function escape(char: string): string {
  return /[\\^$.+()|{}[\]]/.test(char) ? `\\${char}` : char;
}

export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += escape(c);
  }
  // A relative pattern may match anywhere below a folder boundary (src/x.js matches /app/src/x.js).
  const anchored = glob.startsWith('/') || glob.startsWith('**') ? '^' : '(?:^|/)';
  return new RegExp(`${anchored}${out}$`);
}

/** API names: `*` matches anything (`zlib.*`). */
export function nameToRegExp(pattern: string): RegExp {
  return new RegExp(`^${[...pattern].map((c) => (c === '*' ? '.*' : escape(c))).join('')}$`);
}

export function compileMatchers(patterns: readonly (string | RegExp)[], compile: (p: string) => RegExp): (s: string) => boolean {
  const res = patterns.map((p) => (typeof p === 'string' ? compile(p) : p));
  if (res.length === 0) return () => false;
  return (s: string) => res.some((re) => re.test(s.replaceAll('\\', '/')));
}
