import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiTable } from '../src/apis/table';
import { defaults, settings } from '../src/config/settings';
import { attributeNames, eventNames, metricNames } from '../src/otel';
import { docsFor, docsIndex } from '../src/report/docs';

/*
 * The README gets to the point; docs/ holds the reference. Generated tables stay in step with the
 * code's tables, every link resolves (files and anchors), and what the docs name exists.
 */

const require = createRequire(__filename);
const { renderDocs } = require('../scripts/docs-tables.js') as {
  renderDocs(read: (file: string) => string, tables: { apis: unknown; settings: unknown; defaults: unknown; metrics: unknown }): Record<string, string>;
};
const root = resolve(__dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  'examples/otel/README.md'].filter((f) => existsSync(join(root, f)));
const all = (): string => docs.map(read).join('\n');

/** GitHub's anchors of a Markdown file: its headings' slugs and explicit `<a id>`s. */
function anchorsOf(file: string): Set<string> {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  const anchors = new Set<string>();
  for (const m of text.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(m[1] as string);
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (m[1] as string).trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Where a link goes, as a file of this repository and an anchor; undefined for the outside world. */
function target(from: string, href: string): { file: string; anchor: string | undefined } | undefined {
  const github = 'https://github.com/loopguard/loopguard/blob/main/';
  if (href.startsWith(github)) href = `/${href.slice(github.length)}`;
  else if (href === 'https://github.com/loopguard/loopguard' || href.startsWith('https://github.com/loopguard/loopguard#')) href = `/README.md${href.slice('https://github.com/loopguard/loopguard'.length)}`;
  else if (/^[a-z]+:/i.test(href)) return undefined;
  const [path, anchor] = href.split('#') as [string, string | undefined];
  const file = path === '' ? from : path.startsWith('/') ? path.slice(1) : relative(root, resolve(root, dirname(from), path));
  return { file, anchor };
}

describe('the docs', () => {
  it('README gets to the point: under 15 KB, with the two commands', () => {
    const readme = read('README.md');
    expect(Buffer.byteLength(readme)).toBeLessThan(15 * 1024);
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });

  it('generated tables match the API table, the settings table and the metric names (run `npm run docs` after changing them)', () => {
    for (const [file, text] of Object.entries(renderDocs(read, { apis: apiTable, settings, defaults, metrics: metricNames }))) {
      expect({ file, text: read(file) }).toEqual({ file, text });
    }
  });

  it('every link resolves: files, and anchors in them', () => {
    const broken: string[] = [];
    for (const from of docs) {
      const text = read(from).replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)|href="([^"]+)"/g)) {
        const href = (m[1] ?? m[2]) as string;
        const to = target(from, href);
        if (to === undefined) continue;
        if (!existsSync(join(root, to.file))) broken.push(`${from}: ${href} (no ${to.file})`);
        else if (to.anchor !== undefined && to.file.endsWith('.md') && !anchorsOf(to.file).has(to.anchor)) broken.push(`${from}: ${href} (no #${to.anchor} in ${to.file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the links reports carry resolve: one fixing section per kind, and the index the summary prints', () => {
    const kinds = new Set([...apiTable.map((e) => e.kind), 'module-load', 'interaction', 'stall'] as const);
    for (const link of [...[...kinds].map((k) => docsFor(k)), docsIndex]) {
      const to = target('README.md', link);
      expect({ link, resolves: to !== undefined && existsSync(join(root, to.file)) && anchorsOf(to.file).has(to.anchor ?? '') }).toEqual({ link, resolves: true });
    }
  });

  it('name only LOOPGUARD_ variables that are settings, and document every setting', () => {
    const named = new Set([...all().matchAll(/(?<![A-Z_])LOOPGUARD_[A-Z][A-Z_]*[A-Z]/g)].map((m) => m[0]));
    const known = settings.map((s) => s.env);
    expect([...named].filter((n) => !known.includes(n))).toEqual([]);
    for (const s of settings) expect(read('docs/configuration.md')).toContain(`| \`${s.env}\` |`);
  });

  it('name every OpenTelemetry attribute and span event loopguard sets', () => {
    const otel = read('docs/opentelemetry.md');
    for (const name of [...Object.values(attributeNames), ...Object.values(eventNames)]) expect(otel).toContain(`\`${name}`);
  });
});
