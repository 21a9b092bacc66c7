'use strict';
// Regenerates docs/performance.md's measured tables from the benchmarks' results in bench/results/
// (npm run bench:docs, after npm run bench / bench:flood / bench:startup / bench:instructions /
// bench:soak / bench:profile): the run it comes from, one flood table per Node with the other
// tools beside loopguard, start-up and memory, start-up in instructions, the goals of "cheap
// enough to leave on in production" (met or not, by how much), and the worst case's profile; and the README's summary of them (one table across the Nodes, a
// sentence per goal, where the worst case's time goes before and after). A block whose results
// are missing is left as it is. After a re-run of some benchmarks only (their results alone in
// bench/results), the blocks that combine several (the run, the goals, the README's summary) keep
// their lines about the others: each fresh table row or goal replaces the line of the same row or
// goal, and the run says what was measured again. Benchmarks are
// not run in CI: nothing here is checked by npm test.
//   BENCH_RESULTS=dir to read the results elsewhere.
const fs = require('node:fs');
const path = require('node:path');
const { replaceBetween } = require('./docs-tables');
const { addedInstructions, median, millions, pairedRatios, summary } = require('../bench/lib/common');
const { callGoals, difference, floodGoals, focusGoals, rssDifference, soakGoals, startupGoals } = require('../bench/lib/goals');
const { functionLabel } = require('../bench/lib/function-label');

const root = path.join(__dirname, '..');
const dir = process.env.BENCH_RESULTS ?? path.join(root, 'bench', 'results');
const docFile = path.join(root, 'docs', 'performance.md');
const readmeFile = path.join(root, 'README.md');

function load(prefix) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => new RegExp(`^${prefix}-\\d+\\.json$`).test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
    .sort((a, b) => a.major - b.major);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const r3 = (s) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const cell = (text) => String(text).replaceAll('|', '\\|');

/** What the tool said in the last round: proof that it ran, and how much it tells. */
function reported(v) {
  const s = v.stats ?? {};
  if (v.key.startsWith('trace-sync-io')) return `${v.syncIoWarnings} warnings, ${v.syncIoWarningsInHandler} at the handler's call`;
  const parts = [];
  if (v.args.some((a) => a.includes('register'))) parts.push(`${v.loopguardLines} report line${v.loopguardLines === 1 ? '' : 's'}`);
  if (s.spansRecorded !== undefined) parts.push(`${s.spansRecorded} spans`);
  if (s.blocks !== undefined) parts.push(`${s.blocks} callbacks over 20 ms`);
  if (s.delayP99Ms !== undefined) parts.push(`p99 delay ${s.delayP99Ms} ms`);
  return parts.length ? parts.join(', ') : '—';
}

const groups = [
  { handler: 'sync', acf: false, title: 'handler calls `fs.existsSync`' },
  { handler: 'stat', acf: false, title: 'handler calls `fs.statSync`' },
  { handler: 'nosync', acf: false, title: 'handler makes no sync call' },
  { handler: 'sync', acf: true, title: 'handler calls `fs.existsSync`, `--experimental-async-context-frame`' },
];

function floodTable(result) {
  const rows = [
    '| variant | msg/s | throughput vs baseline | CPU µs/msg | CPU/msg vs baseline | reported (last round) |',
    '|---|--:|--:|--:|--:|---|',
  ];
  for (const g of groups) {
    const members = result.variants.filter((v) => v.handler === g.handler && v.args.includes('--experimental-async-context-frame') === g.acf);
    if (members.length === 0) continue;
    rows.push(`| *${g.title}* | | | | | |`);
    for (const v of members) {
      const base = v.baseline && result.variants.find((b) => b.key === v.baseline);
      rows.push(`| ${cell(v.name)} | ${Math.round(median(v.rate))} | ${base ? r3(pairedRatios(v.rate, base.rate)) : 'baseline'} `
        + `| ${summary(v.cpuUs).median.toFixed(1)} | ${base ? r3(pairedRatios(v.cpuUs, base.cpuUs)) : 'baseline'} | ${cell(reported(v))} |`);
    }
  }
  return rows.join('\n');
}

function floodBlock(results) {
  const out = [];
  for (const r of results) {
    out.push(`**Node ${r.major}** (${r.node}; ${plural(r.rounds, 'round')} of ${r.count} messages):`, '', floodTable(r), '');
  }
  return out.join('\n').trimEnd();
}

/** bench:instructions: per group and Node, the baseline's instructions and what each variant adds to them. */
function instructionsBlock(results) {
  const rows = [
    `| start-up, instructions (medians) | ${results.map((r) => `Node ${r.major}`).join(' | ')} |`,
    `|---|${results.map(() => '--:').join('|')}|`,
  ];
  const groups = results[0].groups;
  for (const g of groups) {
    const cells = (pick) => results.map((r) => {
      const group = r.groups.find((x) => x.key === g.key);
      return group === undefined ? '—' : pick(group);
    });
    rows.push(`| ${cell(g.name)} | ${cells((group) => millions(median(group.variants.find((v) => v.baseline).instructions))).join(' | ')} |`);
    for (const v of g.variants.filter((x) => !x.baseline)) {
      rows.push(`| &nbsp;&nbsp;+ ${cell(v.name)} | ${cells((group) => {
        const found = group.variants.find((x) => x.key === v.key);
        return found === undefined ? '—' : addedInstructions(group, found, 2);
      }).join(' | ')} |`);
    }
  }
  return rows.join('\n');
}

function startupBlock(results) {
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  const m = (xs, f) => (xs && xs.every(Number.isFinite) ? f(median(xs)) : '—');
  const rows = [
    '| Node | variant | start-up, ms | peak RSS, MB | READY after, ms | idle RSS, MB |',
    '|---|---|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    for (const v of r.variants) {
      rows.push(`| ${r.major} | \`${v.name}\` | ${m(v.ms, (x) => x.toFixed(1))} | ${m(v.maxRss, mb)} | ${m(v.readyMs, (x) => x.toFixed(0))} | ${m(v.idleRss, mb)} |`);
    }
  }
  return rows.join('\n');
}

/** Every goal judged on one Node's results: flood, start-up, per call, soak, in that order. */
function goalsOn(major) {
  return judged.flatMap(([results, goals]) => {
    const r = results.find((x) => x.major === major);
    return r ? goals(r) : [];
  });
}

function goalsBlock() {
  const all = judged.flatMap(([results]) => results);
  const majors = [...new Set(all.map((r) => r.major))].sort((a, b) => a - b);
  const out = [];
  for (const major of majors) {
    // Which run ran when, and on what: the hardware under the machine can change between runs.
    const runs = all.filter((r) => r.major === major).sort((a, b) => a.date.localeCompare(b.date))
      .map((r) => `${r.bench === 'flood-focus' ? 'focused flood' : r.bench} ${r.date.slice(0, 16).replace('T', ' ')} UTC${r.machine ? ` (${r.machine.cpu})` : ''}`);
    out.push(`**Node ${major}** (${all.find((r) => r.major === major).node}; ${runs.join(', ')}):`, '');
    for (const g of goalsOn(major)) out.push(`- ${g.sentence.replace(' — not met', ' — **not met**')}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** Per Node: a call's cost outside handlers and, inside one, beside a lookup and two clock reads. */
function callsBlock(results) {
  const med = (xs) => median(xs).toFixed(0);
  const out = [
    'ns per call, medians of interleaved rounds (`npm run bench`). Inside a handler: `fs.existsSync` of a missing path, raw; after a bare context lookup; '
      + 'with two clock reads around it as well (the least that timing a call costs); loopguard at a known site, sampled as by default; and with every stack read.',
    '',
    '| Node | outside handlers: raw | wrapped | in a handler: raw | + lookup | + lookup, two clock reads | loopguard, sampled | loopguard, every stack |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    const fast = r.fastPath.find((f) => f.name.startsWith('existsSync'));
    const h = r.inHandler;
    out.push(`| ${r.major} | ${med(fast.raw)} | ${med(fast.wrapped)} | ${med(h.raw)} | ${med(h.lookup)} | ${med(h.clocks)} | ${med(h.sampled)} | ${med(h.exact)} |`);
  }
  return out.join('\n');
}

function profileBlock(results) {
  const out = [];
  for (const r of results) {
    const keys = Object.keys(r.variants);
    const buckets = Object.keys(r.variants[keys[0]].bucketsUsPerMessage);
    out.push(`**Node ${r.major}** (${r.node}; ${plural(r.runs, 'run')} of ${r.count} messages each, a sample every ${r.intervalUs} µs): main thread's self time during the flood, µs per message`, '');
    out.push(`| | ${keys.map((k) => cell(r.variants[k].name)).join(' | ')} |`, `|---|${keys.map(() => '--:').join('|')}|`);
    for (const b of buckets) out.push(`| ${b} | ${keys.map((k) => r.variants[k].bucketsUsPerMessage[b].toFixed(1)).join(' | ')} |`);
    const total = (k) => Object.values(r.variants[k].bucketsUsPerMessage).reduce((a, b) => a + b, 0);
    out.push(`| main thread, total | ${keys.map((k) => total(k).toFixed(1)).join(' | ')} |`);
    out.push(`| CPU per message, all threads | ${keys.map((k) => median(r.variants[k].cpuUs).toFixed(1)).join(' | ')} |`);
    const lg = r.variants.loopguard;
    if (lg) {
      const top = lg.topFunctions.filter((f) => f.bucket.startsWith('loopguard')).slice(0, 8);
      // Named by the profile from the bundle it ran (today's bundle's lines are not that one's).
      out.push('', `loopguard's costliest functions: ${top.map((f) => `${f.label ?? functionLabel(f.name, undefined)} ${f.usPerMessage.toFixed(2)} µs`).join(', ')}.`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** The README's rows: a flood variant's CPU per message against its own baseline, or a start-up difference. */
const readmeRows = [
  ['loopguard, every event a handler with a reported call', 'loopguard'],
  ['loopguard, the same call allowed (a handler context and the wrapper, no report)', 'loopguard-allowed'],
  ['loopguard, a handler without a sync call', 'loopguard-nosync'],
  ['loopguard + an OTel SDK sampling 1 % of traces', 'loopguard-otel-sdk-1pc'],
  ['a bare OTel span per handled event + the same SDK (no loopguard)', 'bare-otel-1pc'],
  ['a bare `AsyncLocalStorage.run` per event (what any async context costs)', 'bare-als'],
  ['`node --trace-sync-io` (its rows call `statSync`: it does not see `existsSync`)', 'trace-sync-io-stat'],
  ['OpenTelemetry instrumentation-fs + SDK', 'otel-fs'],
  ['blocked-at', 'blocked-at'],
  ['`monitorEventLoopDelay` alone (no attribution)', 'event-loop-delay'],
];

function readmeBlock(floods, startups, profiles) {
  const all = [...floods, ...startups];
  const majors = [...new Set(all.map((r) => r.major))].sort((a, b) => a - b);
  const byMajor = (list, major) => list.find((r) => r.major === major);
  const floodCell = (major, key) => {
    const r = byMajor(floods, major);
    const v = r?.variants.find((c) => c.key === key);
    const base = v && r.variants.find((c) => c.key === v.baseline);
    return base ? `${pairedRatios(v.cpuUs, base.cpuUs).median.toFixed(2)}×` : '—';
  };
  /** What a start-up variant adds to its baseline: time in ms, or RSS in MB. */
  const addedCell = (major, key, metric) => {
    const r = byMajor(startups, major);
    const baseline = r?.variants.find((v) => v.key === key)?.baseline;
    const rss = metric === 'idleRss';
    const d = baseline && (rss ? rssDifference(r, key, baseline) : difference(r, key, baseline, metric));
    return d ? `${d.median < 0 ? '−' : '+'}${Math.abs(d.median).toFixed(rss ? 1 : 0)} ${rss ? 'MB' : 'ms'}` : '—';
  };
  const runs = [...all, ...focused, ...calls, ...soaks, ...profiles];
  // The hardware under the machine can change between runs: then both are named.
  const cpus = [...new Set(runs.sort((a, b) => a.date.localeCompare(b.date)).map((r) => r.machine?.cpu).filter(Boolean))];
  const machine = cpus.length === 1 ? 'machine' : `machine, whose hardware changed between runs (${cpus.join(', then ')}: which run ran where is in the goals of docs/performance.md)`;
  const out = [
    `Measured ${runDates(runs)} on this project's shared 2-core ${machine}, with \`npm run bench:flood\`, \`bench:flood:focus\`, \`bench:startup\`, \`bench\`, \`bench:soak\`, \`bench:profile\`, \`bench:emit\`, then \`bench:docs\`; `
      + 'every figure with its spread over rounds in [docs/performance.md](docs/performance.md). A real discord.js bot flooded with MESSAGE_CREATE by the '
      + 'emulator; CPU per message against the same bot without the tool, in the same run:',
    '',
    `| | ${majors.map((m) => `Node ${m}`).join(' | ')} |`,
    `|---|${majors.map(() => '--:').join('|')}|`,
    ...readmeRows.map(([label, key]) => `| ${label} | ${majors.map((m) => floodCell(m, key)).join(' | ')} |`),
    `| start-up added, \`node -r loopguard/register -e 0\` | ${majors.map((m) => addedCell(m, 'cjs-loopguard', 'ms')).join(' | ')} |`,
    `| the same, a first start (no code cache yet) | ${majors.map((m) => addedCell(m, 'cjs-loopguard-first', 'ms')).join(' | ')} |`,
    `| start-up added, a discord.js bot's time to READY | ${majors.map((m) => addedCell(m, 'bot-loopguard', 'readyMs')).join(' | ')} |`,
    `| idle RSS added, a discord.js bot | ${majors.map((m) => addedCell(m, 'bot-loopguard', 'idleRss')).join(' | ')} |`,
    `| idle RSS added by a bare worker thread (any tool's own thread) | ${majors.map((m) => addedCell(m, 'bot-worker', 'idleRss')).join(' | ')} |`,
    '',
    'The goals of "cheap enough to leave on in production":',
    '',
  ];
  // The goals in the order the newest Node lists them (its worst case first), each with every Node's result.
  const goals = new Map();
  for (const major of [...majors].reverse()) {
    const judgedHere = goalsOn(major);
    // A goal judged again on a sharper run stands in for the first.
    const replaced = new Set(judgedHere.filter((g) => g.met !== undefined).map((g) => g.replaces));
    for (const g of judgedHere) {
      if (g.met === undefined || g.revised || replaced.has(g.text)) continue;
      goals.set(g.text, [{ major, ...g }, ...(goals.get(g.text) ?? [])]);
    }
  }
  for (const [text, list] of goals) {
    const met = list.filter((g) => g.met);
    const missed = list.filter((g) => !g.met);
    const parts = [];
    if (met.length) parts.push(`met on ${met.map((g) => `Node ${g.major} (${g.shown})`).join(', ')}`);
    if (missed.length) parts.push(`**not met** on ${missed.map((g) => `Node ${g.major} (${g.shown}, by ${g.by})`).join(', ')}`);
    out.push(`- ${text} (goal ${list[0].goalText}): ${parts.join('; ')}.`);
  }
  const withLoopguard = profiles.filter((r) => r.variants.loopguard && r.variants.none);
  if (withLoopguard.length) {
    const own = (v) => v.bucketsUsPerMessage['loopguard (dist/)'];
    const total = (v) => Object.values(v.bucketsUsPerMessage).reduce((a, b) => a + b, 0);
    const before = withLoopguard.find((r) => r.variants['loopguard-before'])?.variants['loopguard-before'];
    const label = before ? before.name.replace(/^loopguard before \((.*)\)$/, '$1') : undefined;
    const p0 = withLoopguard[0];
    out.push('', `Where the worst case's time goes: \`--cpu-prof\` of the bot's main thread during the flood (${plural(p0.runs, 'run')} of ${p0.count} messages each), µs per message, `
      + `all of it and the part in loopguard's own functions${label ? `, before (the build of ${label}) and today` : ''}:`, '');
    out.push(`| | bot alone |${before ? ' loopguard before | its own functions |' : ''} loopguard today | its own functions |`);
    out.push(`|---|--:|${before ? '--:|--:|' : ''}--:|--:|`);
    for (const r of withLoopguard) {
      const b = r.variants['loopguard-before'];
      const now = r.variants.loopguard;
      out.push(`| Node ${r.major} | ${total(r.variants.none).toFixed(1)} |${before ? ` ${b ? total(b).toFixed(1) : '—'} | ${b ? own(b).toFixed(1) : '—'} |` : ''} ${total(now).toFixed(1)} | ${own(now).toFixed(1)} |`);
    }
    out.push('', 'Which of its functions: [docs/performance.md](docs/performance.md#where-the-worst-cases-time-goes).');
  }
  return out.join('\n');
}

function runDates(all) {
  const dates = all.map((r) => r.date).sort();
  return dates.length === 0 ? '' : `on ${dates[0].slice(0, 10)}${dates.at(-1).slice(0, 10) !== dates[0].slice(0, 10) ? ` to ${dates.at(-1).slice(0, 10)}` : ''}`;
}

function runBlock(all) {
  if (all.length === 0) return undefined;
  const dates = all.map((r) => r.date).sort();
  const loads = all.map((r) => r.machine.loadAverage[0]);
  // The machine under a workplace can change between runs: each one named, with what ran on it.
  const machineOf = (r) => `${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB, ${r.machine.platform}`;
  const machines = [...new Set(all.map(machineOf))];
  const benchesOn = (m) => [...new Set(all.filter((r) => machineOf(r) === m).map((r) => (r.bench === 'flood' ? 'the flood' : r.bench)))].join(' and ');
  const where = machines.length === 1 ? `this project's machine: ${machines[0]}` : `this project's machines: ${machines.map((m) => `${m} (${benchesOn(m)})`).join('; ')}`;
  const floods = all.filter((r) => r.bench === 'flood');
  const startups = all.filter((r) => r.bench === 'startup');
  const parts = [];
  if (floods.length) parts.push(`the flood with ${plural(floods[0].rounds, 'round')} of ${floods[0].count} messages`);
  if (startups.length) parts.push(`start-up with ${plural(startups[0].rounds, 'round')} of processes and ${startups[0].botRounds} of bots (RSS ${startups[0].idleMs / 1000} s after READY)`);
  return `The figures below are from runs ${runDates(all)} `
    + `(${dates[0].slice(11, 16)}–${dates.at(-1).slice(11, 16)} UTC) on ${where}, `
    + `shared with other work (1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} when each Node's run began); `
    + `${parts.join('; ')}; Node ${[...new Set([...all].sort((a, b) => a.major - b.major).map((r) => r.node))].join(', ')}.`;
}

const floods = load('flood');
const focused = load('flood-focus');
const startups = load('startup');
const profiles = load('profile');
const calls = load('calls');
const soaks = load('soak');
const instructions = load('instructions');
/** Each benchmark's results and the goals judged on them. */
const judged = [[floods, floodGoals], [focused, focusGoals], [startups, startupGoals], [calls, callGoals], [soaks, soakGoals]];
/** Whether every benchmark that the combined blocks draw on has results: else those blocks are merged into what they say. */
const complete = floods.length > 0 && startups.length > 0 && calls.length > 0 && soaks.length > 0;

/** A line's key where a fresh line may replace it: a table row's first cell, a goal's text (under its Node's heading). */
function lineKey(line) {
  const row = /^\| ([^|]+?) \|/.exec(line);
  if (row) return `row:${row[1]}`;
  const goal = /^- (.+?)(?: \(goal [^)]*\))?: /.exec(line);
  return goal ? `goal:${goal[1]}` : undefined;
}

/**
 * `fresh` (made from some benchmarks' results only) merged into `old`: each of its keyed lines that
 * has something measured replaces the old line of the same key (under the same `**Node N**`
 * heading, if any); the rest of `old` stays.
 */
function mergeLines(old, fresh) {
  const keyed = (text) => {
    const out = new Map();
    let section = '';
    for (const line of text.split('\n')) {
      if (/^\*\*Node \d+\*\*/.test(line)) section = line.split(' ')[1];
      const key = lineKey(line);
      if (key !== undefined) out.set(`${section}|${key}`, line);
    }
    return out;
  };
  const measured = (line) => !/^\|.*\|$/.test(line) || line.split('|').slice(2, -1).some((c) => c.trim() !== '—');
  const replacements = new Map([...keyed(fresh)].filter(([, line]) => measured(line)));
  // A row replaces one with as many columns only (the same Nodes).
  const fits = (line, by) => by !== undefined && (!line.startsWith('|') || line.split('|').length === by.split('|').length);
  let section = '';
  return old.split('\n').map((line) => {
    if (/^\*\*Node \d+\*\*/.test(line)) section = line.split(' ')[1];
    const key = lineKey(line);
    const by = key === undefined ? undefined : replacements.get(`${section}|${key}`);
    return fits(line, by) ? by : line;
  }).join('\n');
}

/** The run: this one's, or after a partial re-run, the one the other figures are from and what was measured again. */
function runText(old) {
  const fresh = runBlock([...floods, ...startups]);
  if (complete || fresh === undefined || old === undefined) return fresh;
  const again = fresh.replace(/^The figures below are from runs on /, 'Measured again on ').replace(/ \(1-minute load average/, ' (load average');
  return [...old.split('\n').filter((l) => !l.startsWith('Measured again on ')), '', again].join('\n').replace(/\n{3,}/g, '\n\n');
}

const blocks = [
  ['bench-run', runText],
  ['bench-goals', judged.some(([results]) => results.length > 0) ? (old) => (complete || old === undefined ? goalsBlock() : mergeLines(old, goalsBlock())) : undefined],
  ['bench-calls', calls.length ? callsBlock(calls) : undefined],
  ['bench-flood', floods.length ? floodBlock(floods) : undefined],
  ['bench-startup', startups.length ? startupBlock(startups) : undefined],
  ['bench-instructions', instructions.length ? instructionsBlock(instructions) : undefined],
  ['bench-profile', profiles.length ? profileBlock(profiles) : undefined],
];

/** The text between a block's markers. */
function blockBody(text, name) {
  const start = `<!-- ${name}:start -->\n`;
  const a = text.indexOf(start);
  const b = text.indexOf(`\n<!-- ${name}:end -->`);
  return a < 0 || b < a ? undefined : text.slice(a + start.length, b);
}

/** Writes the blocks that have results into `file` (a body may be made from the block's present text); says what it did. */
function regenerate(file, fileBlocks) {
  let text = fs.readFileSync(file, 'utf8');
  const before = text;
  for (const [name, make] of fileBlocks) {
    const body = typeof make === 'function' ? make(blockBody(text, name)) : make;
    if (body === undefined) {
      console.log(`${name}: no results in ${path.relative(root, dir)}, left as it is`);
      continue;
    }
    text = replaceBetween(text, name, body);
    console.log(`${name}: ${complete || typeof make !== 'function' ? 'regenerated' : 'merged with the results there are'}`);
  }
  if (text !== before) fs.writeFileSync(file, text);
  console.log(`${path.relative(root, file)}: ${text !== before ? 'updated' : 'up to date'}`);
}

regenerate(docFile, blocks);
regenerate(readmeFile, [['bench-readme', floods.length || startups.length
  ? (old) => (floods.length && startups.length && complete) || old === undefined ? readmeBlock(floods, startups, profiles) : mergeLines(old, readmeBlock(floods, startups, profiles))
  : undefined]]);
