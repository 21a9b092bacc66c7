import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearSourceMaps, originOf } from '../../src/core/source-maps';
import { Scratch } from '../support/scratch';

/*
 * Where a reported line came from, asked at a site's first report: what is asked, and what is not
 * (each costs that report time inside the user's handler).
 */

const nodeModule = createRequire(__filename)('node:module') as typeof import('node:module');
const nodeFindSourceMap = nodeModule.findSourceMap;
const prepareBefore = Error.prepareStackTrace;
const mapsBefore = process.sourceMapsEnabled;
const coverageBefore = process.env['NODE_V8_COVERAGE'];
let scratch: Scratch;
let file: string;

/** A real V8 call site of a generated file with no source map anywhere. */
function frameOf(path: string): NodeJS.CallSite {
  const capture = createRequire(path)(path) as () => NodeJS.CallSite;
  return capture();
}

beforeEach(() => {
  clearSourceMaps();
  process.setSourceMapsEnabled(false);
  delete process.env['NODE_V8_COVERAGE'];
  scratch = new Scratch();
  file = scratch.file('generated.js', [
    'module.exports = function capture() {',
    '  const previous = Error.prepareStackTrace;',
    '  Error.prepareStackTrace = (_error, frames) => frames;',
    '  const holder = {};',
    '  Error.captureStackTrace(holder);',
    '  const frames = holder.stack;',
    '  Error.prepareStackTrace = previous;',
    '  return frames[0];',
    '};',
  ].join('\n'));
});

afterEach(() => {
  Error.prepareStackTrace = prepareBefore;
  process.setSourceMapsEnabled(mapsBefore);
  if (coverageBefore === undefined) delete process.env['NODE_V8_COVERAGE'];
  else process.env['NODE_V8_COVERAGE'] = coverageBefore;
  nodeModule.findSourceMap = nodeFindSourceMap;
  syncBuiltinESMExports();
  clearSourceMaps();
  scratch.remove();
});

/** A stack formatter named `name` that says every frame is at /src/bot.ts:3:4, counting its calls. */
function formatter(name: string): { calls: number } {
  const seen = { calls: 0 };
  const format = { [name]: (_error: Error, _frames: NodeJS.CallSite[]) => {
    seen.calls++;
    return 'Error\n    at handler (/src/bot.ts:3:4)';
  } }[name];
  Error.prepareStackTrace = format;
  return seen;
}

describe('originOf', () => {
  it('asks a stack formatter the app installed (source-map-support under ts-node) where the frame is', () => {
    const seen = formatter('prepareStackTrace');
    const frame = frameOf(file);
    expect(originOf(frame, file, 5, 3, true)).toEqual({ file: '/src/bot.ts', line: 3, column: 4 });
    expect(seen.calls).toBe(1);
  });

  it('does not ask Node\'s own formatter, which maps nothing that findSourceMap does not know', () => {
    const seen = formatter('ErrorPrepareStackTrace');
    const frame = frameOf(file);
    expect(originOf(frame, file, 5, 3, true)).toBeUndefined();
    expect(seen.calls).toBe(0);
  });

  it('asks Node for its source map only while Node keeps them (source maps on, or coverage)', () => {
    const asked: string[] = [];
    nodeModule.findSourceMap = (path: string) => {
      asked.push(path);
      return undefined;
    };
    syncBuiltinESMExports();
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    const frame = frameOf(file);
    expect(originOf(frame, file, 5, 3, true)).toBeUndefined();
    expect(asked).toEqual([]);

    clearSourceMaps();
    process.env['NODE_V8_COVERAGE'] = scratch.path('coverage');
    expect(originOf(frame, file, 5, 3, true)).toBeUndefined();
    expect(asked).toContain(file);

    asked.length = 0;
    clearSourceMaps();
    delete process.env['NODE_V8_COVERAGE'];
    process.setSourceMapsEnabled(true);
    expect(originOf(frame, file, 5, 3, true)).toBeUndefined();
    expect(asked).toContain(file);
  });
});
