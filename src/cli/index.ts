#!/usr/bin/env node
import { version } from '../core/version';
import { mainHelp } from './help';
import { exitCode, reportCommand } from './report-command';

/*
 * The `loopguard` command. It never loads the guard: reading report files must not be judged
 * (or slowed) by loopguard itself, even when NODE_OPTIONS preloads it.
 */

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = {
    out: (text: string) => process.stdout.write(text),
    err: (text: string) => process.stderr.write(text),
    cwd: process.cwd(),
    now: Date.now(),
  };
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.out(mainHelp);
    return command === undefined ? exitCode.usage : exitCode.ok;
  }
  if (command === '-v' || command === '--version') {
    io.out(`${version}\n`);
    return exitCode.ok;
  }
  if (command === 'report') return reportCommand(rest, io);
  io.err(`loopguard: unknown command "${command}"\n\n${mainHelp}`);
  return exitCode.usage;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain (a pipe to `head` or a CI log) before the exit code is set.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`loopguard: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
