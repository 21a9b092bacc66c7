import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/*
 * The command expands globs itself: Windows shells pass `reports-*.jsonl` through unexpanded, and
 * so does any shell when the argument is quoted (the way to pass a pattern longer than the shell's
 * argument list). Node 20 has no fs.glob (22 does), so tinyglobby does it: small (picomatch and
 * fdir, no other dependency), maintained, and the matcher most of the JavaScript tool chain uses.
 */

export interface Inputs {
  /** Files to read, absolute, each once, in the order given (a pattern's matches sorted). */
  files: string[];
  /** Arguments that named no file: a path that does not exist, a pattern that matched nothing. */
  missing: string[];
  /** Arguments that exist but are not files (a folder). */
  notFiles: string[];
}

async function kindOf(path: string): Promise<'file' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

export async function expandInputs(args: readonly string[], cwd = process.cwd()): Promise<Inputs> {
  const inputs: Inputs = { files: [], missing: [], notFiles: [] };
  const seen = new Set<string>();
  const add = (file: string) => {
    if (!seen.has(file)) {
      seen.add(file);
      inputs.files.push(file);
    }
  };
  for (const arg of args) {
    const path = resolve(cwd, arg);
    const kind = await kindOf(path);
    // A file whose name has glob characters (`reports[1].jsonl`) is that file, not a pattern.
    if (kind === 'file') add(path);
    else if (kind === 'other') inputs.notFiles.push(arg);
    else if (isDynamicPattern(toPattern(arg))) {
      const matches = await glob(toPattern(arg), { cwd, absolute: true, onlyFiles: true, dot: true, expandDirectories: false });
      if (matches.length === 0) inputs.missing.push(arg);
      for (const match of matches.map((m) => resolve(m)).sort()) add(match);
    } else inputs.missing.push(arg);
  }
  return inputs;
}

/** Glob patterns use `/`; on Windows a path typed with `\` is meant as separators, not escapes. */
function toPattern(arg: string): string {
  return process.platform === 'win32' ? arg.replaceAll('\\', '/') : arg;
}
