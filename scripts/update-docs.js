'use strict';
// Regenerates the README's API and configuration tables from the code's tables (npm run docs).
const fs = require('node:fs');
const path = require('node:path');
const { renderReadme } = require('./docs-tables');
const { apiTable, settingsTable } = require('../dist/index.js');
const { defaults } = require('../dist/config/settings.js');
const { metricNames } = require('../dist/otel.js');

const file = path.join(__dirname, '..', 'README.md');
const before = fs.readFileSync(file, 'utf8');
const after = renderReadme(before, { apis: apiTable, settings: settingsTable, defaults, metrics: metricNames });
fs.writeFileSync(file, after);
console.log(before === after ? 'README.md is up to date' : 'README.md tables regenerated');
