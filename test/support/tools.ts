import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/* What scripts/test-tools.sh installs into .tmp/tools (npm test's pretest runs it). */

const tools = resolve(__dirname, '../../.tmp/tools/node_modules');

function installed(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/test-tools.sh (npm test runs it first)`);
  return path;
}

/** @swc-node/register's require hook (with TypeScript 5 beside it). */
export const swcNodeRegister = (): string => installed(join(tools, '@swc-node/register'));

/** The Bun binary for this platform. */
export function bunBinary(): string {
  const stamp = installed(join(tools, '../installed.txt'));
  const pkg = readFileSync(stamp, 'utf8').split(/\s+/).find((p) => p.startsWith('@oven/bun-'));
  if (pkg === undefined) throw new Error(`scripts/test-tools.sh installs no Bun for ${process.platform}-${process.arch}`);
  return installed(join(tools, pkg.slice(0, pkg.lastIndexOf('@')), 'bin/bun'));
}

/** The 1-based column where `token` starts on the line of `// @line:NAME`. */
export function columnOf(file: string, line: number, token: string): number {
  const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
  const at = text.indexOf(token);
  if (at < 0) throw new Error(`no ${token} on line ${line} of ${file}`);
  return at + 1;
}
