'use strict';
const fs = require('node:fs');

/*
 * A profiled function of loopguard's bundle as the docs name it: `name`, or for an anonymous one
 * the function that made it and its source file, read from the bundle's module comments
 * (`// src/...`). Only the bundle that was profiled can say which: its lines move with every
 * build, so the profile asks when it runs and keeps the answer in its results.
 */

/** `profiled`: `name file:line` as the profile records it; `bundle`: the path of the bundle that file:line is in. */
function functionLabel(profiled, bundle) {
  const [name, where] = profiled.split(' ');
  if (name !== '(anonymous)') return `\`${name}\``;
  const m = /dist\/loopguard\.js:(\d+)$/.exec(where ?? '');
  if (!m || bundle === undefined || !fs.existsSync(bundle)) return 'an anonymous function';
  const lines = fs.readFileSync(bundle, 'utf8').split('\n').slice(0, Number(m[1])).reverse();
  const file = lines.find((l) => /^\/\/ src\/\S+\.ts$/.test(l));
  const outer = lines.map((l) => /^function (\w+)\(/.exec(l)?.[1]).find((n) => n !== undefined);
  if (!file) return 'an anonymous function';
  return outer ? `a closure of \`${outer}\` (${file.slice(3)})` : `a function of ${file.slice(3)}`;
}

module.exports = { functionLabel };
