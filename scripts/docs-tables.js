'use strict';
// Renders the docs' generated tables from the same tables that drive the code.
// Used by scripts/update-docs.js (writes the docs files) and test/docs.test.ts (checks they are in sync).

const kindNames = {
  'file-system': 'file system',
  process: 'process',
  compression: 'compression',
  crypto: 'crypto',
  synchronisation: 'synchronisation',
  database: 'database',
  network: 'network',
  http: 'HTTP',
  image: 'image',
  prompt: 'prompt',
  'module-load': 'module load',
};

function notes(entry) {
  const out = [];
  if (entry.since) out.push(`Node ${entry.since}+`);
  if (entry.mainThreadOnly) out.push('main thread only');
  if (entry.exempt === 'stdio') out.push('writes to fd 1/2 exempt');
  if (entry.lazy) out.push('when the app loads it');
  if (entry.wraps) out.push(`one report per call (wraps ${entry.wraps})`);
  if (entry.path.length === 0) out.push("the package's calls of Node's blocking APIs");
  return out.join(', ');
}

const cell = (text) => String(text).replaceAll('|', '\\|');

function apiTable(entries) {
  const rows = ['| API | kind | use instead | notes |', '|---|---|---|---|'];
  for (const e of entries) {
    rows.push(`| \`${e.api}\` | [${kindNames[e.kind]}](#fixing-${e.kind}) | ${cell(e.alternative)} | ${notes(e)} |`);
  }
  rows.push('| `require` / `import` inside a handler | [module load](#fixing-module-load) | a top-level require/import at start-up | see `LOOPGUARD_MODULE_LOADS` |');
  return rows.join('\n');
}

function configTable(settings, defaults) {
  const rows = ['| variable | option in code | accepts | default | what it does |', '|---|---|---|---|---|'];
  for (const s of settings) {
    const d = defaults[s.key];
    const shown = d === undefined ? 'unset' : Array.isArray(d) ? (d.length === 0 ? 'empty' : d.join(',')) : String(d);
    rows.push(`| \`${s.env}\` | ${s.envOnly ? '(none)' : `\`${s.key}\``} | ${cell(s.accepted)} | \`${shown}\` | ${cell(s.description)} |`);
  }
  return rows.join('\n');
}

function metricsTable(metrics) {
  const rows = ['| metric | instrument | unit | what it measures |', '|---|---|---|---|'];
  for (const m of Object.values(metrics)) rows.push(`| \`${m.name}\` | ${m.type} | \`${m.unit}\` | ${cell(m.description)} |`);
  return rows.join('\n');
}

function replaceBetween(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no ${start} … ${end} block`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

/** Where each generated table lives: the docs file and its block's name. */
const blocks = [
  { file: 'docs/fixing.md', name: 'api-table', render: ({ apis }) => apiTable(apis) },
  { file: 'docs/configuration.md', name: 'config-table', render: ({ settings, defaults }) => configTable(settings, defaults) },
  { file: 'docs/opentelemetry.md', name: 'otel-metrics', render: ({ metrics }) => metricsTable(metrics) },
];

/** The docs files with their generated blocks brought up to date: { 'docs/x.md': text }. */
function renderDocs(read, tables) {
  const out = {};
  for (const block of blocks) {
    const text = out[block.file] ?? read(block.file);
    out[block.file] = replaceBetween(text, block.name, block.render(tables));
  }
  return out;
}

module.exports = { renderDocs, replaceBetween, apiTable, configTable, metricsTable };
