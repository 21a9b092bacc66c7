'use strict';
// Regenerates the docs' API, configuration and metrics tables from the code's tables (npm run docs).
const fs = require('node:fs');
const path = require('node:path');
const { renderDocs } = require('./docs-tables');
const { apiTable, settingsTable } = require('../dist/index.js');
// The defaults are no public export: from tsc's file-per-module build (npm run build makes both).
const { defaults } = require('../.tmp/build/config/settings.js');
const { metricNames } = require('../dist/otel.js');

const root = path.join(__dirname, '..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const files = renderDocs(read, { apis: apiTable, settings: settingsTable, defaults, metrics: metricNames });
for (const [file, text] of Object.entries(files)) {
  const changed = read(file) !== text;
  if (changed) fs.writeFileSync(path.join(root, file), text);
  console.log(`${file}: ${changed ? 'tables regenerated' : 'up to date'}`);
}
