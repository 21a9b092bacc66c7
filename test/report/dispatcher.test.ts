import { describe, expect, it, vi } from 'vitest';
import { Bus } from '../../src/core/bus';
import type { Callers } from '../../src/core/call-sites';
import { currentHandler, handlerStorage, newHandlerContext } from '../../src/core/context';
import type { Occurrence } from '../../src/core/occurrence';
import type { Report, SiteTotals, StallReport } from '../../src/core/reports';
import { countUnsampled, newSamplingState, untimed } from '../../src/core/sampling';
import { Dispatcher, siteCap } from '../../src/report/dispatcher';

/* From occurrences to reports: new sites at once, repeats as aggregates, caps, sinks kept apart from handlers. */

const callersAt = (line: number): Callers => ({ site: { file: '/bot.js', line, column: 1 }, origin: undefined, via: undefined, moduleLoad: undefined, requirer: undefined, frames: [], above: undefined });
const call = (line: number, durationMs = 1): Occurrence => ({ api: 'fs.statSync', kind: 'file-system', hint: 'fs.promises.stat', outcome: 'ran', durationMs, time: Date.now(), handler: newHandlerContext('test', 'e', { messageId: `m${line}` }), callers: callersAt(line) });

function setup() {
  const bus = new Bus();
  const dispatcher = new Dispatcher(bus);
  const reports: Report[] = [];
  dispatcher.addSink({ name: 'collect', write: (r) => reports.push(r) });
  return { bus, dispatcher, reports };
}

describe('the dispatcher', () => {
  it('reports a new site at once and its repeats as one aggregate, with the exact count and total', () => {
    const { bus, dispatcher, reports } = setup();
    bus.occurrences.publish(call(1, 2));
    bus.occurrences.publish(call(1, 3));
    bus.occurrences.publish(call(1, 5));
    expect(reports.map((r) => [r.count, r.aggregate, r.durationMs])).toEqual([[1, false, 2]]);
    dispatcher.flush();
    expect(reports.map((r) => [r.count, r.aggregate, r.durationMs, r.maxDurationMs])).toEqual([[1, false, 2, 2], [2, true, 8, 5]]);
    expect(dispatcher.summary()).toMatchObject({ calls: 3, blockedMs: 10 });
  });

  it('gives an aggregate what is the site\'s, not what was one event\'s (its ids, a stall\'s risks and capture)', () => {
    const { bus, dispatcher, reports } = setup();
    const stall = (id: string): Occurrence => ({
      type: 'stall', api: 'spin', kind: 'stall', hint: '', outcome: 'captured', durationMs: 1200, time: Date.now(),
      handler: newHandlerContext('test', 'e', { messageId: id }), callers: callersAt(7),
      extra: { thresholdMs: 1000, captureDelayMs: 0.4, atRisk: { heartbeats: [{ shard: 0, intervalMs: 41250, missed: 1 }], interactions: [] } },
    });
    bus.occurrences.publish(stall('first'));
    bus.occurrences.publish(stall('second'));
    dispatcher.flush();
    const [first, aggregate] = reports as StallReport[];
    expect(first).toMatchObject({ captureDelayMs: 0.4, handler: { messageId: 'first' }, atRisk: { heartbeats: [{ missed: 1 }] } });
    expect(aggregate).toMatchObject({ aggregate: true, count: 1, thresholdMs: 1000, handler: { source: 'test', event: 'e' } });
    expect(aggregate).not.toHaveProperty('atRisk');
    expect(aggregate).not.toHaveProperty('captureDelayMs');
    expect(aggregate!.handler).toEqual({ source: 'test', event: 'e' });
  });

  it('tells a hot handler kind\'s sampling where each read went: reads in a row at one line make its streak, another line or an allowed one ends it', () => {
    const { bus } = setup();
    const sampling = newSamplingState();
    const sampled = (line: number): Occurrence => ({ ...call(line), sampling });
    for (let i = 0; i < 5; i++) bus.occurrences.publish(sampled(1));
    expect(sampling.streak).toBe(4);
    bus.occurrences.publish(sampled(2));
    expect(sampling.streak).toBe(0);
    bus.occurrences.publish(sampled(2));
    expect(sampling.streak).toBe(1);
    bus.discarded.publish(sampling);
    expect(sampling.streak).toBe(0);
    expect(sampling.lastSite).toBeUndefined();
  });

  it(`keeps at most ${siteCap} sites: calls at further sites are counted in the totals, without a report`, () => {
    const { bus, dispatcher, reports } = setup();
    for (let line = 1; line <= siteCap + 10; line++) bus.occurrences.publish(call(line));
    expect(reports).toHaveLength(siteCap);
    expect(dispatcher.summary()).toMatchObject({ calls: siteCap + 10, overflowCalls: 10 });
    expect(dispatcher.summary().sites).toHaveLength(siteCap);
  });

  it('calls sinks outside any handler context, and counts a sink that throws without stopping the others', () => {
    const { bus, dispatcher, reports } = setup();
    const contexts: unknown[] = [];
    dispatcher.addSink({ name: 'broken', write: () => { throw new Error('broken sink'); } });
    dispatcher.addSink({ name: 'context', write: () => contexts.push(currentHandler()) });
    const warnings: string[] = [];
    bus.warnings.add((text) => warnings.push(text));
    handlerStorage.run(newHandlerContext('test', 'e', {}), () => bus.occurrences.publish(call(1)));
    expect(reports).toHaveLength(1);
    expect(contexts).toEqual([undefined]);
    expect(dispatcher.summary().internalErrors).toBe(1);
    expect(warnings).toEqual(['the broken sink failed (broken sink); further failures are only counted']);
  });

  it('makes no observation while no sink observes (an OpenTelemetry sink without an SDK), and sees one that starts', () => {
    const bus = new Bus();
    const seen: string[] = [];
    let live = false;
    const d = new Dispatcher(bus);
    d.addSink({ name: 'sdk', write: () => {}, observing: () => live, observe: (o) => seen.push(o.api) });
    expect(bus.unsampled.wanted()).toBe(false); // the guard builds nothing for its unsampled calls
    bus.occurrences.publish(call(1));
    expect(seen).toEqual([]);
    live = true;
    expect(bus.unsampled.wanted()).toBe(true);
    bus.occurrences.publish(call(1));
    bus.unsampled.publish({ api: 'fs.existsSync', kind: 'file-system', hint: '', durationMs: 1, time: Date.now(), handler: undefined });
    expect(seen).toEqual(['fs.statSync', 'fs.existsSync']);
  });

  it('builds nothing for unsampled calls while the only observing sink counts none (an OpenTelemetry sink that traces with no meter)', () => {
    const bus = new Bus();
    const counted: string[] = [];
    const observed: string[] = [];
    let counting = false;
    const d = new Dispatcher(bus);
    d.addSink({ name: 'sdk', write: () => {}, observing: () => true, counting: () => counting, observe: (o) => observed.push(o.api), count: (u) => counted.push(u.api) });
    expect(bus.unsampled.wanted()).toBe(false);
    bus.occurrences.publish(call(1));
    expect(observed).toEqual(['fs.statSync']); // calls with a stack are still observed (spans)
    bus.unsampled.publish({ api: 'fs.existsSync', kind: 'file-system', hint: '', durationMs: 1, time: Date.now(), handler: undefined });
    expect(counted).toEqual([]);
    counting = true;
    expect(bus.unsampled.wanted()).toBe(true);
    bus.unsampled.publish({ api: 'fs.existsSync', kind: 'file-system', hint: '', durationMs: 1, time: Date.now(), handler: undefined });
    expect(counted).toEqual(['fs.existsSync']);
  });

  it('gives a sink what reads every site\'s calls so far: the unsampled calls still waiting go to their site, and nothing is written for it', () => {
    const { bus, dispatcher, reports } = setup();
    let totals: SiteTotals | undefined;
    dispatcher.addSink({ name: 'totals', write: () => {}, added: (read) => { totals = read; } });
    const sampling = newSamplingState();
    bus.occurrences.publish({ ...call(1), sampling });
    // 40 calls counted at the hot site without a stack, waiting for the next read or flush.
    for (let i = 0; i < 40; i++) if (countUnsampled(sampling, 0, untimed)) bus.waiting.publish(sampling);
    expect(totals?.().map((t) => [t.report.api, t.count, t.estimated])).toEqual([['fs.statSync', 41, true]]);
    expect(reports).toHaveLength(1); // the site's first report; the repeats wait for the flush
    expect(dispatcher.summary().calls).toBe(41);
    dispatcher.flush();
    expect(reports.map((r) => r.count)).toEqual([1, 40]);
  });

  it('keeps a removed sink\'s totals as they were when it was removed', () => {
    const { bus, dispatcher } = setup();
    let totals: SiteTotals | undefined;
    const remove = dispatcher.addSink({ name: 'totals', write: () => {}, added: (read) => { totals = read; } });
    bus.occurrences.publish(call(1));
    remove();
    bus.occurrences.publish(call(1));
    bus.occurrences.publish(call(2));
    expect(totals?.().map((t) => t.count)).toEqual([1]);
    expect(dispatcher.summary().calls).toBe(3);
  });

  it('runs sinks outside handlers without turning the handler storage off (that takes Node\'s promise hooks out and back per call)', () => {
    const { bus, reports } = setup();
    const disable = vi.spyOn(handlerStorage, 'disable');
    try {
      handlerStorage.run(newHandlerContext('test', 'e', {}), () => bus.occurrences.publish(call(1)));
      expect(reports).toHaveLength(1);
      expect(disable).not.toHaveBeenCalled();
    } finally {
      disable.mockRestore();
    }
  });

  it('gives unsampled calls to a sink that counts them in the handler\'s own context (no switch per call), and to the others outside handlers', () => {
    const bus = new Bus();
    const d = new Dispatcher(bus);
    const counted: unknown[] = [];
    const observed: unknown[] = [];
    d.addSink({ name: 'counts', write: () => {}, observe: () => observed.push('counts: observe'), count: (u) => counted.push([u.api, currentHandler()?.event]) });
    d.addSink({ name: 'observes', write: () => {}, observe: (o) => observed.push([o.api, o.sampled, currentHandler()]) });
    handlerStorage.run(newHandlerContext('test', 'e', {}), () => {
      bus.unsampled.publish({ api: 'fs.existsSync', kind: 'file-system', hint: '', durationMs: 1, time: Date.now(), handler: currentHandler() });
    });
    expect(counted).toEqual([['fs.existsSync', 'e']]);
    expect(observed).toEqual([['fs.existsSync', true, undefined]]);
  });
});
