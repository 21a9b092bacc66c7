import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSink, allowBlocking, BlockingCallError, configure, install, onReport, runInHandler, uninstall, type Report } from '../../src/index';
import { otelSink } from '../../src/otel';
import { startSdk, type Sdk } from '../sinks/otel/support';
import { Scratch } from '../support/scratch';

/*
 * What the app gets back is its own: runInHandler returns the function's value (the same object,
 * with an SDK too); loopguard's sinks and the app's callbacks run outside the handler, so what they
 * do is never judged as its work; allowing an API allows what it does inside.
 */

const scratch = new Scratch();
const file = scratch.file('data.json', '{}');
let sdk: Sdk;
let n = 0;
const event = () => `v${++n}`;

beforeAll(() => {
  sdk = startSdk();
  install({ env: false, console: false, otel: 'off' });
  addSink(otelSink({ tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider }));
});
afterAll(async () => {
  uninstall();
  await sdk.shutdown();
  scratch.remove();
});

describe('values the app sees', () => {
  it('runInHandler returns what the function returns, the same object (a promise with its own methods), with an SDK recording spans', async () => {
    const value = { answer: 42 };
    expect(runInHandler({ event: event() }, () => value)).toBe(value);
    const promise = Object.assign(Promise.resolve(7), { cancel: () => 'cancelled' });
    const returned = runInHandler({ event: event() }, () => promise);
    expect(returned).toBe(promise);
    expect(returned.cancel()).toBe('cancelled');
    expect(await returned).toBe(7);
    expect(sdk.spans().length).toBeGreaterThanOrEqual(2);
  });

  it('an onReport callback runs outside the handler: its own file write is neither reported nor stopped', () => {
    configure({ mode: 'strict' });
    const seen: string[] = [];
    const stop = onReport((r: Report) => {
      fs.appendFileSync(scratch.path('log.txt'), `${r.api}\n`); // the app's logger, synchronous
      seen.push(r.api);
    });
    try {
      expect(() => runInHandler({ event: event() }, () => fs.statSync(file))).toThrow(BlockingCallError);
      expect(seen).toEqual(['fs.statSync']);
      expect(fs.readFileSync(scratch.path('log.txt'), 'utf8')).toBe('fs.statSync\n');
    } finally {
      stop();
      configure({ mode: 'report' });
    }
  });

  it('allowing an API allows what it does inside (readFileSync → openSync, appendFileSync → writeFileSync, cpSync → lstatSync), in strict and report mode', () => {
    const reports: Report[] = [];
    const stop = onReport((r) => reports.push(r));
    try {
      configure({ mode: 'strict', allowApis: ['fs.readFileSync', 'fs.appendFileSync', 'fs.cpSync'] });
      expect(() => runInHandler({ event: event() }, () => {
        fs.readFileSync(file);
        fs.appendFileSync(scratch.path('append.txt'), 'x');
        fs.cpSync(file, scratch.path('copy.json'));
      })).not.toThrow();
      configure({ mode: 'report' });
      runInHandler({ event: event() }, () => fs.readFileSync(file));
      expect(reports).toEqual([]);
      // And allowBlocking() too.
      configure({ mode: 'strict', allowApis: [] });
      expect(() => runInHandler({ event: event() }, () => allowBlocking(() => fs.readFileSync(file)))).not.toThrow();
    } finally {
      stop();
      configure({ mode: 'report', allowApis: [] });
    }
  });
});
