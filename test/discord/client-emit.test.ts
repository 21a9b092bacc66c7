import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus';
import { continueHandler, currentHandler, type HandlerContext } from '../../src/core/context';
import { ClientEvents, patchEmit } from '../../src/discord/client-emit';
import { Gateways } from '../../src/discord/gateways';
import { Interactions } from '../../src/discord/interactions';
import { describeHandler } from '../../src/report/phrases';
import { handlerSummary } from '../../src/report/build';

/*
 * A client event emitted inside one of the same client's handlers: a new handler of its own for a
 * plain library, the handler that runs once a framework that re-emits events is loaded.
 */

class FakeClient extends EventEmitter {}

function setup() {
  const events = new ClientEvents(() => [], new Interactions(new Bus()), new Gateways());
  const undo = patchEmit(FakeClient.prototype, events, { source: 'lib', internalEvents: new Set(), ids: () => ({}) })!;
  return { events, undo };
}

/** What each listener saw: the handler's event and whether its context is the gateway event's own. */
function wire(client: FakeClient, into: [string, string, boolean][]) {
  client.on('interactionCreate', () => {
    into.push(['interactionCreate', currentHandler()!.event, currentHandler()!.origin === undefined]);
    client.emit('commandAccepted');
  });
  client.on('commandAccepted', () => {
    into.push(['commandAccepted', currentHandler()!.event, currentHandler()!.origin === undefined]);
  });
}

describe('client events emitted inside a handler', () => {
  it('start a handler of their own while no framework is loaded (plain discord.js: as before)', () => {
    const { undo } = setup();
    try {
      const seen: [string, string, boolean][] = [];
      const client = new FakeClient();
      wire(client, seen);
      client.emit('interactionCreate', {});
      expect(seen).toEqual([['interactionCreate', 'interactionCreate', true], ['commandAccepted', 'commandAccepted', true]]);
    } finally {
      undo();
    }
  });

  it('continue the handler of the same client once a framework is loaded; another client\'s emit is a handler of its own', () => {
    const { events, undo } = setup();
    try {
      events.frameworkLoaded();
      const seen: [string, string, boolean][] = [];
      const client = new FakeClient();
      wire(client, seen);
      const other = new FakeClient();
      let otherHandler: HandlerContext | undefined;
      other.on('commandAccepted', () => (otherHandler = currentHandler()));
      client.on('interactionCreate', () => other.emit('commandAccepted'));
      client.emit('interactionCreate', {});
      expect(seen).toEqual([['interactionCreate', 'interactionCreate', true], ['commandAccepted', 'interactionCreate', true]]);
      expect(otherHandler?.event).toBe('commandAccepted');
      // Outside any handler, a framework event is a handler of its own, as before.
      client.emit('commandAccepted');
      expect(seen.at(-1)).toEqual(['commandAccepted', 'commandAccepted', true]);
    } finally {
      undo();
    }
  });

  it('a part of a handler: inside it, the same client\'s emits continue the handler too', () => {
    const { events, undo } = setup();
    try {
      events.frameworkLoaded();
      const client = new FakeClient();
      let inner: HandlerContext | undefined;
      client.on('interactionCreate', () => continueHandler({ framework: 'f', store: 'commands', piece: 'ping', run: 'run' }, () => client.emit('accepted')));
      client.on('accepted', () => (inner = currentHandler()));
      client.emit('interactionCreate', {});
      expect(inner).toMatchObject({ event: 'interactionCreate', attributes: { piece: 'ping' } });
      expect(inner?.origin?.event).toBe('interactionCreate');
    } finally {
      undo();
    }
  });
});

describe('which client events are handlers', () => {
  it('an internal event is never one, also right after a handled event (the last handled event is remembered) and between two', () => {
    const events = new ClientEvents(() => [], new Interactions(new Bus()), new Gateways());
    const undo = patchEmit(FakeClient.prototype, events, { source: 'lib', internalEvents: new Set(['debug']), ids: () => ({}) })!;
    try {
      const client = new FakeClient();
      const seen: [string, string | undefined][] = [];
      client.on('messageCreate', () => seen.push(['messageCreate', currentHandler()?.event]));
      client.on('debug', () => seen.push(['debug', currentHandler()?.event]));
      client.emit('messageCreate', {});
      client.emit('debug', 'heartbeat');
      client.emit('messageCreate', {});
      client.emit('messageCreate', {});
      client.emit('debug', 'heartbeat');
      expect(seen).toEqual([
        ['messageCreate', 'messageCreate'], ['debug', undefined], ['messageCreate', 'messageCreate'], ['messageCreate', 'messageCreate'], ['debug', undefined],
      ]);
    } finally {
      undo();
    }
  });
});

describe('how a part of a handler is said', () => {
  it('with the framework\'s words after the source; a handler with no part as before', () => {
    const root = { id: 1, source: 'discord.js', event: 'interactionCreate', attributes: { commandName: 'hash' }, allowBlocking: false, kind: '' };
    expect(describeHandler(handlerSummary(root))).toBe('handler "interactionCreate" (discord.js)');
    const part = { ...root, attributes: { ...root.attributes, framework: 'sapphire', store: 'commands', piece: 'hash', run: 'chatInputRun' }, origin: root };
    expect(describeHandler(handlerSummary(part))).toBe('handler "interactionCreate" (discord.js; sapphire commands "hash" chatInputRun)');
    const seyfert = { ...root, source: 'seyfert', attributes: { store: 'components', piece: 'confirm', run: 'run' } };
    expect(describeHandler(handlerSummary(seyfert))).toBe('handler "interactionCreate" (seyfert; components "confirm" run)');
  });
});
