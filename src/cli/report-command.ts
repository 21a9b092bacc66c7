import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { evaluate, parseConditions, type Condition } from './fail-on';
import { reportHelp } from './help';
import { expandInputs } from './inputs';
import { Merger, type Filters } from './merge';
import { schema, type InputSummary, type ReportSummary } from './model';
import { noSkips, readReportFile } from './read';
import { renderHtml } from './render-html';
import { renderText } from './render-text';
import { parseTime } from './time';

/** Exit codes, as --help documents them. */
export const exitCode = { ok: 0, failOn: 1, usage: 2 } as const;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  now: number;
}

class UsageError extends Error {}

interface Options {
  inputs: string[];
  filters: Filters & { sinceText: string | null; untilText: string | null };
  json: boolean;
  html: string | undefined;
  top: number;
  conditions: Condition[] | null;
  help: boolean;
}

function parseOptions(args: string[], now: number): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        source: { type: 'string', multiple: true },
        event: { type: 'string', multiple: true },
        top: { type: 'string' },
        json: { type: 'boolean' },
        html: { type: 'string' },
        'fail-on': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const time = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const t = parseTime(text, now);
    if (t instanceof Error) throw new UsageError(`--${name}: ${t.message}`);
    return t;
  };
  const top = v.top === undefined ? 10 : Number(v.top);
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top: "${v.top}" is not a whole number ≥ 1`);
  const conditions = v['fail-on'] === undefined ? null : parseConditions(v['fail-on']);
  if (conditions instanceof Error) throw new UsageError(conditions.message);
  const since = time('since', v.since);
  const until = time('until', v.until);
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until');
  if (v.html === '') throw new UsageError('--html needs a file name');
  return {
    inputs: parsed.positionals,
    filters: { since, until, sources: v.source ?? [], events: v.event ?? [], sinceText: v.since ?? null, untilText: v.until ?? null },
    json: v.json === true,
    html: v.html,
    top,
    conditions,
    help: v.help === true,
  };
}

export async function reportCommand(args: string[], io: Io): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args, io.now);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`loopguard report: ${error.message}\nSee: loopguard report --help\n`);
    return exitCode.usage;
  }
  if (options.help) {
    io.out(reportHelp);
    return exitCode.ok;
  }
  if (options.inputs.length === 0) {
    io.err('loopguard report: no report file given\nSee: loopguard report --help\n');
    return exitCode.usage;
  }

  const expanded = await expandInputs(options.inputs, io.cwd);
  const merger = new Merger(options.filters);
  const skipped = noSkips();
  const inputs: InputSummary = {
    files: [], missing: expanded.missing, unreadable: [...expanded.notFiles], emptyFiles: 0, lines: 0, reports: 0,
    skipped: { ...skipped, total: 0 }, filteredOut: 0,
  };
  const take = merger.take.bind(merger);
  for (const path of expanded.files) {
    try {
      const read = await readReportFile(path, take, skipped);
      inputs.files.push(read);
      if (read.lines === 0) inputs.emptyFiles++;
      inputs.lines += read.lines;
      inputs.reports += read.reports;
    } catch (error) {
      // Unreadable (no permission, removed meanwhile, an I/O error): skipped like a damaged line.
      inputs.unreadable.push(path);
      inputs.files.push({ path, lines: 0, reports: 0, skipped: 0, error: (error as NodeJS.ErrnoException).code ?? String(error) });
    }
  }
  inputs.skipped = { ...skipped, total: skipped.torn + skipped.notJson + skipped.unknownType + skipped.invalid };
  inputs.filteredOut = merger.filteredOut;

  const summary = summarize(merger, inputs, options, io.now);
  if (options.conditions !== null) summary.failOn = evaluate(options.conditions, summary);

  if (options.json) io.out(JSON.stringify(summary, null, 2) + '\n');
  else io.out(renderText(summary, options.top));
  if (options.json && summary.failOn?.hit === true) {
    io.err(`loopguard report: --fail-on ${summary.failOn.conditions.filter((c) => c.hit).map((c) => c.expression).join(', ')}\n`);
  }
  if (options.html !== undefined) {
    try {
      await writeFile(options.html, renderHtml(summary, options.top));
    } catch (error) {
      io.err(`loopguard report: could not write ${options.html}: ${(error as Error).message}\n`);
      return exitCode.usage;
    }
  }
  const readable = inputs.files.filter((f) => f.error === undefined).length;
  if (readable === 0) {
    io.err(`loopguard report: none of the files could be read (${[...inputs.missing, ...inputs.unreadable].join(', ')})\n`);
    return exitCode.usage;
  }
  return summary.failOn?.hit === true ? exitCode.failOn : exitCode.ok;
}

function summarize(merger: Merger, inputs: InputSummary, options: Options, now: number): ReportSummary {
  const sites = merger.callSites();
  const stalls = merger.stallSites();
  const interactions = merger.interactionSites();
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    schema,
    generatedAt: new Date(now).toISOString(),
    inputs,
    filters: { since: iso(options.filters.since), until: iso(options.filters.until), sources: [...options.filters.sources], events: [...options.filters.events] },
    span: { first: Number.isFinite(merger.first) ? merger.first : null, last: Number.isFinite(merger.last) ? merger.last : null },
    totals: {
      calls: sites.reduce((n, s) => n + s.count, 0),
      stopped: sites.reduce((n, s) => n + s.stopped, 0),
      blockedMs: sites.reduce((n, s) => n + s.blockedMs, 0),
      maxMs: sites.reduce((n, s) => Math.max(n, s.maxMs), 0),
      sites: sites.length,
      stalls: stalls.reduce((n, s) => n + s.count, 0),
      stalledMs: stalls.reduce((n, s) => n + s.stalledMs, 0),
      lateAcks: interactions.reduce((n, s) => n + s.late, 0),
      delayedAcks: interactions.reduce((n, s) => n + s.delayed, 0),
      processes: merger.pids.size,
      shards: [...merger.shards].sort((a, b) => a - b),
    },
    sites,
    stalls,
    interactions,
    timeline: merger.timeline(),
    failOn: null,
  };
}
