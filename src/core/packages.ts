import { sep } from 'node:path';

/*
 * Where a file is in node_modules, in one place: what package a stack frame belongs to, and a
 * package file's name as the loading hooks know it (`discord.js/src/client/Client.js`).
 */

const nodeModules = `${sep}node_modules${sep}`;

/** The part of `path` after its last node_modules folder, with `/` separators, or undefined. */
export function packageFilePath(path: string): string | undefined {
  const at = path.lastIndexOf(nodeModules);
  if (at < 0) return undefined;
  const file = path.slice(at + nodeModules.length);
  // Asked of every module the app loads: where `/` is the separator already, no copies of it.
  return sep === '/' ? file : file.split(sep).join('/');
}

/**
 * `@scope/name` or `name`, from a package file path (`discord.js/src/x.js`) or a require() id of
 * a package (`@discordjs/core/http-only`). No array made: it is asked at each such require.
 */
export function packageOfFile(file: string): string {
  let end = file.indexOf('/');
  if (end > 0 && file.charCodeAt(0) === 64 /* @ */) end = file.indexOf('/', end + 1);
  return end < 0 ? file : file.slice(0, end);
}

/** The package a path belongs to, or undefined outside node_modules. */
export function packageOf(path: string): string | undefined {
  const file = packageFilePath(path);
  return file === undefined ? undefined : packageOfFile(file);
}

/**
 * Whether a require() id names a file (`./x`, `../x`, `/x`), never a package or a builtin: most
 * of a library's requires are, and listeners that look for packages or builtins ask this first.
 */
export function isFileRequest(id: string): boolean {
  const first = id.charCodeAt(0);
  return first === 46 /* . */ || first === 47 /* / */;
}

/** Whether `path` is inside node_modules at all. */
export function inNodeModules(path: string): boolean {
  return path.includes(nodeModules);
}
