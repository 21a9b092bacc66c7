import { failOnNames } from './fail-on';

export const mainHelp = `Usage: loopguard <command> [options]

Commands:
  report <files or globs…>   merge report files (LOOPGUARD_REPORT_FILE) and show the worst call sites,
                             stalls and late interactions; --json for CI, --html for a page

Options:
  -h, --help      this help (loopguard report --help: the report command's)
  -v, --version   loopguard's version

The guard itself is not a command: run your bot with node -r loopguard/register bot.js.
`;

export const reportHelp = `Usage: loopguard report [options] <files or globs…>

Reads JSON Lines report files (written with LOOPGUARD_REPORT_FILE, e.g. reports-%p-%t.jsonl from
every process and worker thread of a sharded bot), merges them and prints the call sites that
blocked the event loop longest, the stalls and what they put at risk, and the interactions
acknowledged late or delayed. Globs are expanded here too (quote them: 'reports-*.jsonl').

Options:
  --since <time>        only reports from then on: an ISO date (2024-05-01T12:00Z) or back from now (30m, 1h, 2d)
  --until <time>        only reports up to then (same forms)
  --source <name>       only handlers of this source (discord.js, @discordjs/core, …); repeatable
  --event <name>        only handlers of this event (messageCreate, interactionCreate, …); repeatable
  --top <n>             sites shown in the text and the page (default 10; --json has all)
  --json                print the merged result as JSON (schema "loopguard-report/1") instead of text
  --html <file>         also write a self-contained page (timeline, ranked sites, stacks)
  --fail-on <cond>      exit 1 when a condition holds; repeatable or comma-separated:
                          NAME (NAME>0) or NAME>VALUE, NAME>=VALUE with NAME one of
                          ${failOnNames.join(', ')}
                          durations take ms, s or m: blocked>100ms, total>2s, p95>20ms
  -h, --help            this help

Exit codes:
  0  done, no --fail-on condition held
  1  a --fail-on condition held
  2  usage error (unknown option, bad value), no file given, none of the files could be read,
     or the --html file could not be written

Damaged input is skipped and counted, never fatal: a torn last line, a line that is not JSON,
of an unknown report type (a newer loopguard) or with missing fields, an empty file, a missing
or unreadable file. See docs/report.md for what is exact and what is estimated.
`;
