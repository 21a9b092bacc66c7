import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { apiTable } from '../src/apis/table';
import { defaults, settings } from '../src/config/settings';
import { attributeNames, eventNames, metricNames } from '../src/otel';

const require = createRequire(__filename);
const { renderReadme } = require('../scripts/docs-tables.js') as {
  renderReadme(readme: string, tables: { apis: unknown; settings: unknown; defaults: unknown; metrics: unknown }): string;
};
const readmePath = join(__dirname, '..', 'README.md');

it('README tables match the API table and the settings table (run `npm run docs` after changing them)', () => {
  const readme = readFileSync(readmePath, 'utf8');
  expect(renderReadme(readme, { apis: apiTable, settings, defaults, metrics: metricNames })).toBe(readme);
});

it('README has a "fixing" section for every kind the reports link to', () => {
  const readme = readFileSync(readmePath, 'utf8');
  for (const kind of new Set([...apiTable.map((e) => e.kind), 'module-load', 'interaction'])) {
    expect(readme).toContain(`<a id="fixing-${kind}"></a>`);
  }
  expect(readme).toContain('<a id="fixing-blocking-calls"></a>');
});

it('README names every OpenTelemetry attribute and span event loopguard sets', () => {
  const readme = readFileSync(readmePath, 'utf8');
  for (const name of [...Object.values(attributeNames), ...Object.values(eventNames)]) expect(readme).toContain(`\`${name}`);
});

it('README names only LOOPGUARD_ variables that are settings, and documents every setting', () => {
  const readme = readFileSync(readmePath, 'utf8');
  const named = new Set([...readme.matchAll(/(?<![A-Z_])LOOPGUARD_[A-Z][A-Z_]*[A-Z]/g)].map((m) => m[0]));
  const known = settings.map((s) => s.env);
  expect([...named].filter((n) => !known.includes(n))).toEqual([]);
  for (const s of settings) expect(readme).toContain(`| \`${s.env}\` |`);
});
