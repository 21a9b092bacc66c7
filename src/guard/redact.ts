import { basename } from 'node:path';

/*
 * What of a call's arguments a report may show. Reports go to logs, files and tracing backends
 * that more people can read than the bot's secrets: a command line can hold a password
 * (`PGPASSWORD=… pg_dump`), a header (`curl -H "Authorization: Bot …"`), a URL with a token. So a
 * child process is shown by its program's base name only, and a module by its id without a
 * query, a folder or a URL's host.
 */

const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Programs that run the next word as the program (their options skipped). */
const launchers = new Set(['env', 'sudo', 'doas', 'nice', 'nohup', 'time', 'exec', 'command', 'stdbuf', 'ionice', 'timeout', 'chronic']);
/** Shell builtins that set up rather than run: the program is in the next command. */
const setup = new Set(['cd', 'export', 'set', 'umask', 'ulimit', 'source', '.']);
const safeName = /^[A-Za-z0-9._+-]{1,64}$/;

/** The first word of a shell command line (quotes removed, as the shell would), and what follows it. */
function firstWord(text: string): [word: string, rest: string] {
  let word = '';
  let quote: string | undefined;
  let i = 0;
  while (i < text.length && quote === undefined && /\s/.test(text[i] as string)) i++;
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === '\'') quote = c;
    else if (/\s/.test(c)) break;
    else word += c;
  }
  return [word, text.slice(i)];
}

/** The program a shell command line runs: `PGPASSWORD=x pg_dump -U y` → `pg_dump`. */
export function programOfShell(command: string): string | undefined {
  for (const part of command.split(/&&|\|\||[;|\n]/)) {
    let rest = part;
    let launcher = false;
    for (;;) {
      const [word, after] = firstWord(rest);
      rest = after;
      if (word === '') break;
      if (assignment.test(word) || (launcher && (word.startsWith('-') || /^\d+(\.\d+)?[smhd]?$/.test(word)))) continue;
      const name = basename(word);
      if (launchers.has(name)) {
        launcher = true;
        continue;
      }
      if (setup.has(name)) break;
      return safeName.test(name) ? name : undefined;
    }
  }
  return undefined;
}

/** The program of a file path or command name: its base name, when it reads as one. */
export function programOfFile(file: string): string | undefined {
  const name = basename(file.trim());
  return safeName.test(name) ? name : undefined;
}

/**
 * What a child-process call shows: execSync takes a shell command line; execFileSync and spawnSync
 * take the file, unless their options ask for a shell (`shell: true`), which joins it with the
 * arguments into a command line.
 */
export function programOf(api: string, args: ArrayLike<unknown>): string | undefined {
  const first = args[0];
  if (typeof first !== 'string') return undefined;
  if (api === 'child_process.execSync') return programOfShell(first);
  const options = Array.isArray(args[1]) ? args[2] : args[1];
  const shell = options !== null && typeof options === 'object' && (options as { shell?: unknown }).shell;
  return shell !== undefined && shell !== false && shell !== null ? programOfShell(first) : programOfFile(first);
}

/**
 * A module as a report shows it: a package name or a relative path as written (`./commands/ping`),
 * without a query or hash; an absolute path or a URL by its last segment (`data:` URLs by their
 * scheme alone).
 */
export function moduleLabel(id: string): string {
  const bare = id.replace(/[?#].*$/s, '');
  if (/^data:/i.test(bare)) return 'data:';
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.exec(bare);
  if (url !== null || bare.startsWith('/') || /^[A-Za-z]:[\\/]/.test(bare)) return basename(bare.replace(/\\/g, '/')) || bare.slice(0, url?.[0].length ?? 0);
  return bare.length > 200 ? `${bare.slice(0, 200)}…` : bare;
}
