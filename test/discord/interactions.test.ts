import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bus } from '../../src/core/bus';
import { continueHandler, handlerStorage, newHandlerContext, type HandlerContext } from '../../src/core/context';
import type { Occurrence } from '../../src/core/occurrence';
import { Interactions } from '../../src/discord/interactions';

/*
 * Interactions a bot never acknowledges (a handler that ignores some of them) must not pile up:
 * once Discord has forgotten them (15 minutes) loopguard forgets them too.
 */

afterEach(() => vi.useRealTimers());

function setup() {
  const bus = new Bus();
  const published: Occurrence[] = [];
  bus.occurrences.add((o) => published.push(o));
  return { bus, published, interactions: new Interactions(bus) };
}

describe('interactions never acknowledged', () => {
  it('are forgotten 15 minutes on, by object and by id; younger ones are still watched', () => {
    const { interactions, published } = setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    interactions.begin(newHandlerContext('test', 'interactionCreate', {}), { ignored: true }, undefined);
    interactions.begin(newHandlerContext('test', 'interactionCreate', {}), 'id-ignored', undefined);
    expect(interactions.snapshot()).toHaveLength(2);

    vi.setSystemTime(start + 15 * 60_000 + 1);
    const later = newHandlerContext('test', 'interactionCreate', { interactionId: 'id-later' });
    interactions.begin(later, 'id-later', undefined);
    expect(interactions.atRisk(Date.now(), undefined).map((i) => i.interactionId)).toEqual(['id-later']);

    // The forgotten id acknowledges nothing; the later one is still matched.
    interactions.acknowledging('id-ignored', 'api.interactions.reply', setup);
    expect(published).toEqual([]);
    vi.setSystemTime(start + 15 * 60_000 + 4000); // past the 3 s deadline of the later one
    interactions.acknowledging('id-later', 'api.interactions.reply', setup);
    expect(published.map((o) => [o.type, o.outcome, o.handler])).toEqual([['interaction-ack', 'late', later]]);
    expect(interactions.snapshot()).toEqual([]);
  });

  it('a blocking call before the acknowledgement delays it: reported with the blocker, the blocked time and the deadline', () => {
    const { bus, interactions, published } = setup();
    const handler = newHandlerContext('test', 'interactionCreate', {});
    const interaction = {};
    interactions.begin(handler, interaction, undefined);
    const callers = { site: { file: '/bot.js', line: 3, column: 5 }, origin: undefined, via: undefined, moduleLoad: undefined, requirer: undefined, frames: [], above: undefined };
    bus.occurrences.publish({ api: 'fs.readFileSync', kind: 'file-system', hint: '', outcome: 'ran', durationMs: 12, time: Date.now(), handler, callers });
    interactions.acknowledging(interaction, 'interaction.reply', setup);
    const ack = published.find((o) => o.type === 'interaction-ack');
    expect(ack).toMatchObject({ outcome: 'delayed', durationMs: 12, extra: { deadlineMs: 3000, blockers: [{ api: 'fs.readFileSync', site: callers.site, durationMs: 12 }] } });
  });
});

describe('acknowledgements worth a report', () => {
  const callers = { site: { file: '/bot.js', line: 3, column: 5 }, origin: undefined, via: undefined, moduleLoad: undefined, requirer: undefined, frames: [], above: undefined };
  const block = (bus: Bus, handler: HandlerContext, durationMs: number) =>
    bus.occurrences.publish({ api: 'fs.readFileSync', kind: 'file-system', hint: '', outcome: 'ran', durationMs, time: Date.now(), handler, callers });

  it('delayed only from delayedFromMs of blocking, added up over the calls before it', () => {
    const { bus, interactions, published } = setup();
    interactions.delayedFromMs = 100;
    const below = newHandlerContext('test', 'interactionCreate', {});
    const above = newHandlerContext('test', 'interactionCreate', {});
    interactions.begin(below, 'below', undefined);
    interactions.begin(above, 'above', undefined);
    block(bus, below, 99.5);
    block(bus, above, 60);
    block(bus, above, 40);
    interactions.acknowledging('below', 'api.interactions.reply', setup);
    interactions.acknowledging('above', 'api.interactions.reply', setup);
    expect(published.filter((o) => o.type === 'interaction-ack').map((o) => [o.outcome, o.durationMs, o.handler])).toEqual([['delayed', 100, above]]);
  });

  it('late ones always, with nothing blocked', () => {
    const { interactions, published } = setup();
    interactions.delayedFromMs = 100;
    vi.useFakeTimers({ toFake: ['Date'] });
    const handler = newHandlerContext('test', 'interactionCreate', {});
    interactions.begin(handler, 'late', undefined);
    vi.setSystemTime(Date.now() + 3001);
    interactions.acknowledging('late', 'api.interactions.reply', setup);
    expect(published.map((o) => [o.outcome, o.durationMs, o.extra?.['blockers']])).toEqual([['late', 0, []]]);
  });

  it('a framework\'s part of the handler: its blocking counts for the interaction, and the report names the part that acknowledged', () => {
    const { interactions, published } = setup();
    const handler = newHandlerContext('test', 'interactionCreate', { interactionId: '1' });
    interactions.begin(handler, 'part', undefined);
    const part = { framework: 'sapphire', store: 'commands', piece: 'ping', run: 'chatInputRun' };
    handlerStorage.run(handler, () => continueHandler(part, () => {
      const current = handlerStorage.getStore()!;
      expect(current).toMatchObject({ id: handler.id, kind: handler.kind, origin: handler, attributes: { interactionId: '1', ...part } });
      const bus = (interactions as unknown as { bus: Bus }).bus;
      block(bus, current, 150);
      interactions.acknowledging('part', 'interaction.reply', setup);
    }));
    const [ack] = published.filter((o) => o.type === 'interaction-ack');
    expect(ack).toMatchObject({ outcome: 'delayed', durationMs: 150, handler: { origin: handler, attributes: { interactionId: '1', ...part } } });
  });
});
