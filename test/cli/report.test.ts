import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ack, call, jsonl, runCli, runJson, stall } from './support';

/*
 * The command as a process on report files written here, with exact values: damaged input, the
 * merge and its estimates, filters, --fail-on and exit codes, --json's shape, the page's escaping.
 */

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopguard-report-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t0 = Date.UTC(2024, 4, 1, 12);

describe('merging', () => {
  it('sums a site over processes and files; p95 is exact when every call had its own line', async () => {
    const a = file('a.jsonl', jsonl([call({ durationMs: 4, maxDurationMs: 4, pid: 1 }), call({ durationMs: 2, maxDurationMs: 2, pid: 1, aggregate: true })]));
    const b = file('b.jsonl', jsonl([call({ durationMs: 8, maxDurationMs: 8, pid: 2, handler: { source: 'discord.js', event: 'messageUpdate', shard: 1 } })]));
    const { json, code } = await runJson([a, b]);
    expect(code).toBe(0);
    expect(json.sites).toHaveLength(1);
    expect(json.sites[0]).toMatchObject({
      rank: 1, api: 'fs.readFileSync', count: 3, blockedMs: 14, maxMs: 8, p95Ms: 8, p95Exact: true, processes: 2, shards: [0, 1],
      handlers: [{ source: 'discord.js', event: 'messageCreate', count: 2 }, { source: 'discord.js', event: 'messageUpdate', count: 1 }],
    });
    expect(json.sites[0]!.meanMs).toBeCloseTo(14 / 3, 12);
  });

  it('estimates p95 from aggregates (their longest call at max, the others at their mean); count, total and max stay exact', async () => {
    // 40 calls: one of 1 ms, then an aggregate of 39 whose longest took 100 ms and the other 38 took 2 ms on average.
    const f = file('agg.jsonl', jsonl([call({ durationMs: 1, maxDurationMs: 1 }), call({ aggregate: true, count: 39, durationMs: 100 + 38 * 2, maxDurationMs: 100 })]));
    const { json } = await runJson([f]);
    expect(json.sites[0]).toMatchObject({ count: 40, blockedMs: 177, maxMs: 100, p95Ms: 2, p95Exact: false });
  });

  it('strict mode\'s stopped calls are counted, not timed', async () => {
    const f = file('strict.jsonl', jsonl([call({ durationMs: 5, maxDurationMs: 5 }), call({ outcome: 'thrown', durationMs: 0, maxDurationMs: 0, count: 2, aggregate: true })]));
    const { json } = await runJson([f]);
    expect(json.sites[0]).toMatchObject({ count: 3, stopped: 2, blockedMs: 5, meanMs: 5, p95Ms: 5 });
    expect(json.totals).toMatchObject({ calls: 3, stopped: 2 });
  });

  it('ranks sites by blocked time; stalls and interactions have their own lists', async () => {
    const f = file('mixed.jsonl', jsonl([
      call({ site: { file: '/app/a.js', line: 1, column: 1 }, durationMs: 5, maxDurationMs: 5 }),
      call({ api: 'child_process.execSync', kind: 'process', site: { file: '/app/b.js', line: 2, column: 1 }, durationMs: 50, maxDurationMs: 50 }),
      call({ site: { file: '/app/a.js', line: 1, column: 1 }, aggregate: true, count: 10, durationMs: 60, maxDurationMs: 9 }),
      stall(), stall({ aggregate: true, count: 2, durationMs: 2500, maxDurationMs: 1300 }),
      ack(), ack({ outcome: 'delayed', aggregate: true, count: 3, durationMs: 300, maxDurationMs: 120 }),
    ]));
    const { json } = await runJson([f]);
    expect(json.sites.map((s) => [s.rank, s.api, s.blockedMs])).toEqual([[1, 'fs.readFileSync', 65], [2, 'child_process.execSync', 50]]);
    expect(json.totals).toMatchObject({ calls: 12, blockedMs: 115, maxMs: 50, sites: 2, stalls: 3, stalledMs: 4000, lateAcks: 1, delayedAcks: 3 });
    // The aggregate repeats the first stall's atRisk: only the stall reported alone is added up.
    expect(json.stalls[0]).toMatchObject({ count: 3, maxMs: 1500, atRisk: { individually: 1, heartbeatsMissed: 1, heartbeatShards: [0], interactionsWaiting: 1, interactionsLate: 1 } });
    expect(json.interactions[0]).toMatchObject({
      late: 1, delayed: 3, blockedMs: 3400, maxAckDelayMs: 3150, individually: 1, commands: [{ name: 'slow', count: 4 }],
      blockers: [{ api: 'child_process.execSync', durationMs: 3100, interactions: 1 }],
    });
  });
});

describe('damaged input is skipped and counted', () => {
  it('a torn last line, not JSON, an unknown type, missing fields, an empty file, a missing file, a folder', async () => {
    const good = jsonl([call()]);
    const torn = file('torn.jsonl', good + JSON.stringify(call()).slice(0, 40));
    const garbage = file('garbage.jsonl', `${good}not json\n[1,2]\n${JSON.stringify({ type: 'heap-snapshot', version: 2 })}\n${JSON.stringify({ ...call(), count: 'two' })}\n\n`);
    const empty = file('empty.jsonl', '');
    mkdirSync(join(dir, 'a-folder'), { recursive: true });
    const { json, code, stderr } = await runJson([torn, garbage, empty, join(dir, 'nope.jsonl'), join(dir, 'a-folder')]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(json.inputs).toMatchObject({
      lines: 7, reports: 2, emptyFiles: 1, missing: [join(dir, 'nope.jsonl')], unreadable: [join(dir, 'a-folder')],
      skipped: { torn: 1, notJson: 2, unknownType: 1, invalid: 1, total: 5 },
    });
    expect(json.inputs.files.map((f) => [f.lines, f.reports, f.skipped])).toEqual([[2, 1, 1], [5, 1, 4], [0, 0, 0]]);
    expect(json.totals.calls).toBe(2);
  });

  it('a torn last line that still parses is used; CRLF line ends and a BOM are read', async () => {
    const f = file('crlf.jsonl', `\ufeff${JSON.stringify(call())}\r\n${JSON.stringify(call({ aggregate: true }))}`);
    const { json } = await runJson([f]);
    expect(json.inputs).toMatchObject({ lines: 2, reports: 2, skipped: { total: 0 } });
  });

  it('a line split across read chunks (over 1 MiB) and a multi-byte character at the chunk edge', async () => {
    const long = call({ stack: `${'é'.repeat(700_000)}→` }); // > 1 MiB of UTF-8
    const f = file('long.jsonl', jsonl([call(), long, call({ aggregate: true })]));
    const { json } = await runJson([f]);
    expect(json.inputs).toMatchObject({ lines: 3, reports: 3, skipped: { total: 0 } });
  });

  it('nothing readable at all is an input error (exit 2), still with the counts', async () => {
    const { json, code, stderr } = await runJson([join(dir, 'nope.jsonl'), join(dir, 'nothing-*.jsonl')]);
    expect(code).toBe(2);
    expect(json.inputs.missing).toEqual([join(dir, 'nope.jsonl'), join(dir, 'nothing-*.jsonl')]);
    expect(stderr).toContain('none of the files could be read');
  });
});

describe('inputs', () => {
  it('expands quoted globs itself, each file once; a file named like a pattern is that file', async () => {
    const sub = join(dir, 'globs');
    mkdirSync(join(sub, 'deep'), { recursive: true });
    writeFileSync(join(sub, 'r-1.jsonl'), jsonl([call({ pid: 1 })]));
    writeFileSync(join(sub, 'r-2.jsonl'), jsonl([call({ pid: 2 })]));
    writeFileSync(join(sub, 'deep', 'r-3.jsonl'), jsonl([call({ pid: 3 })]));
    writeFileSync(join(sub, 'r[1].jsonl'), jsonl([call({ pid: 4 })]));
    const { json } = await runJson(['globs/r-*.jsonl', 'globs/**/*.jsonl', 'globs/r[1].jsonl'], { cwd: dir });
    expect(json.inputs.files.map((f) => f.path)).toEqual([
      join(sub, 'r-1.jsonl'), join(sub, 'r-2.jsonl'), join(sub, 'deep', 'r-3.jsonl'), join(sub, 'r[1].jsonl'),
    ]);
    expect(json.totals.processes).toBe(4);
  });
});

describe('filters', () => {
  const lines = () => file('window.jsonl', jsonl([
    call({ time: t0, durationMs: 1, maxDurationMs: 1 }),
    call({ time: t0 + 3_600_000, durationMs: 2, maxDurationMs: 2, site: { file: '/app/x.js', line: 2, column: 2 } }),
    call({ time: t0 + 7_200_000, durationMs: 4, maxDurationMs: 4, handler: { source: 'jobs', event: 'nightly' }, site: { file: '/app/y.js', line: 3, column: 3 } }),
  ]));

  it('--since and --until (ISO) keep the reports in the window, inclusive', async () => {
    const { json } = await runJson([lines(), '--since', new Date(t0 + 3_600_000).toISOString(), '--until', '2024-05-01T13:30:00Z']);
    expect(json.totals.blockedMs).toBe(2);
    expect(json.inputs.filteredOut).toBe(2);
    expect(json.filters.since).toBe('2024-05-01T13:00:00.000Z');
  });

  it('--since relative to now', async () => {
    const f = file('recent.jsonl', jsonl([call({ time: Date.now() - 2 * 3_600_000, durationMs: 1 }), call({ time: Date.now() - 60_000, durationMs: 2, maxDurationMs: 2 })]));
    const { json } = await runJson([f, '--since', '1h']);
    expect(json.totals.blockedMs).toBe(2);
  });

  it('--source and --event', async () => {
    expect((await runJson([lines(), '--source', 'jobs'])).json.totals.blockedMs).toBe(4);
    expect((await runJson([lines(), '--event', 'messageCreate'])).json.totals.blockedMs).toBe(3);
    expect((await runJson([lines(), '--event', 'messageCreate', '--event', 'nightly'])).json.totals.blockedMs).toBe(7);
  });
});

describe('--fail-on and exit codes', () => {
  let f: string;
  beforeAll(() => {
    f = file('gate.jsonl', jsonl([
      call({ durationMs: 120, maxDurationMs: 120 }),
      call({ aggregate: true, count: 4, durationMs: 40, maxDurationMs: 10 }),
      ack({ outcome: 'delayed' }),
    ]));
  });
  const exit = async (...conditions: string[]) => (await runCli(['report', f, ...conditions.flatMap((c) => ['--fail-on', c])])).code;

  it.each([
    ['blocked>100ms', 1], ['blocked>120ms', 0], ['blocked>=120ms', 1], ['blocked>0.1s', 1], ['blocked>1s', 0],
    ['total>159', 1], ['total>160ms', 0], ['calls>4', 1], ['calls>5', 0], ['sites>0', 1], ['sites>1', 0],
    ['stalls', 0], ['late-acks', 0], ['delayed-acks', 1], ['damaged', 0], ['missing', 0], ['p95>119ms', 1], ['p95>=121ms', 0],
    ['stalls,delayed-acks', 1], ['stalls, late-acks', 0],
  ])('--fail-on %s → exit %i', async (condition, code) => {
    expect(await exit(condition)).toBe(code);
  });

  it('any of several flags', async () => {
    expect(await exit('stalls', 'calls>4')).toBe(1);
    expect(await exit('stalls', 'late-acks')).toBe(0);
  });

  it('damaged and missing input can fail the gate', async () => {
    const torn = file('gate-torn.jsonl', jsonl([call()]) + '{"type":"blo');
    expect((await runCli(['report', torn, '--fail-on', 'damaged'])).code).toBe(1);
    expect((await runCli(['report', f, join(dir, 'gone.jsonl'), '--fail-on', 'missing'])).code).toBe(1);
    expect((await runCli(['report', f, join(dir, 'gone.jsonl')])).code).toBe(0);
  });

  it('--json reports each condition, its value and whether it held; the text says so too', async () => {
    const { json, code, stderr } = await runJson([f, '--fail-on', 'blocked>100ms,stalls']);
    expect(code).toBe(1);
    expect(json.failOn).toEqual({ hit: true, conditions: [{ expression: 'blocked>100ms', value: 120, hit: true }, { expression: 'stalls', value: 0, hit: false }] });
    expect(stderr).toContain('--fail-on blocked>100ms');
    const text = await runCli(['report', f, '--fail-on', 'blocked>100ms']);
    expect(text.stdout).toContain('--fail-on blocked>100ms: HIT (120)');
  });

  it.each([
    [['--fail-on', 'slow>1'], 'expected NAME'],
    [['--fail-on', 'calls>3ms'], 'is a count'],
    [['--fail-on', 'blocked>3h'], 'ms, s or m'],
    [['--since', 'yesterday'], 'is not a time'],
    [['--since', '2024-05-02', '--until', '2024-05-01'], 'after --until'],
    [['--top', '0'], '--top'],
    [['--frobnicate'], 'Unknown option'],
  ])('usage error %j → exit 2', async (args, message) => {
    const run = await runCli(['report', f, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('no file → exit 2; help → exit 0; an unknown command → exit 2', async () => {
    expect((await runCli(['report'])).code).toBe(2);
    const help = await runCli(['report', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect((await runCli(['--help'])).stdout).toContain('report <files or globs…>');
    expect((await runCli(['frob'])).code).toBe(2);
  });

  it('an --html file that cannot be written → exit 2', async () => {
    const run = await runCli(['report', f, '--html', join(dir, 'no-such-folder', 'x.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('could not write');
  });
});

describe('--json', () => {
  it('has a stable shape (schema loopguard-report/1)', async () => {
    const f = file('shape.jsonl', jsonl([call(), stall(), ack()]));
    const { json } = await runJson([f]);
    expect(json.schema).toBe('loopguard-report/1');
    expect(Object.keys(json)).toEqual(['schema', 'generatedAt', 'inputs', 'filters', 'span', 'totals', 'sites', 'stalls', 'interactions', 'timeline', 'failOn']);
    expect(Object.keys(json.totals)).toEqual(['calls', 'stopped', 'blockedMs', 'maxMs', 'sites', 'stalls', 'stalledMs', 'lateAcks', 'delayedAcks', 'processes', 'shards']);
    expect(Object.keys(json.sites[0]!)).toEqual([
      'rank', 'api', 'kind', 'site', 'count', 'stopped', 'blockedMs', 'maxMs', 'meanMs', 'p95Ms', 'p95Exact', 'sampled', 'handlers', 'shards',
      'processes', 'hint', 'docs', 'stack', 'firstTime', 'lastTime',
    ]);
    expect(Object.keys(json.stalls[0]!)).toEqual(['rank', 'api', 'site', 'count', 'stalledMs', 'maxMs', 'thresholdMs', 'outcomes', 'handlers', 'shards', 'processes', 'atRisk', 'hint', 'stack', 'firstTime', 'lastTime']);
    expect(Object.keys(json.interactions[0]!)).toEqual([
      'rank', 'api', 'site', 'late', 'delayed', 'blockedMs', 'maxAckDelayMs', 'deadlineMs', 'commands', 'handlers', 'blockers', 'individually',
      'shards', 'processes', 'hint', 'firstTime', 'lastTime',
    ]);
    expect(json.span).toEqual({ first: t0, last: t0 });
    expect(json.timeline.buckets).toEqual([{ time: t0, blockedMs: 1, stalledMs: 1500, calls: 1 }]);
  });
});

describe('--html', () => {
  it('escapes everything from the input and loads nothing', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const f = file('evil.jsonl', jsonl([call({ api: evil, site: { file: `/app/${evil}.js`, line: 1, column: 1 }, stack: evil, hint: evil, handler: { source: evil, event: '"><b>' } })]));
    const out = join(dir, 'evil.html');
    expect((await runCli(['report', f, '--html', out])).code).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('"><b>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  });
});
