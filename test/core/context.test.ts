import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { allowBlocking, currentHandler, eventContext, handlerStorage, HandlerState, newHandlerContext, outsideHandlers, type HandlerContext } from '../../src/core/context';

/* A handler context per handled event: what it shows, read only when asked. */

describe('an event\'s handler context', () => {
  it('reads its attributes from the event\'s objects only when asked, once, and then lets go of them', () => {
    const reads: unknown[] = [];
    const message = { id: 'm1' };
    const packet = { t: 'MESSAGE_CREATE' };
    const context = eventContext('lib', 'messageCreate', (event, subject, p) => {
      reads.push([event, subject, p]);
      return { messageId: (subject as typeof message).id, dispatch: (p as typeof packet).t };
    }, message, packet);
    expect(reads).toEqual([]);
    expect(context.kind).toBe('lib\0messageCreate');
    expect(context.attributes).toEqual({ messageId: 'm1', dispatch: 'MESSAGE_CREATE' });
    expect(context.attributes).toBe(context.attributes);
    expect(reads).toEqual([['messageCreate', message, packet]]);
    expect(Object.values(context as object)).not.toContain(message);
  });

  it('has one kind string per source and event, also when kinds alternate (the last one is kept aside)', () => {
    const none = () => ({});
    const kinds = [['a', 'x'], ['a', 'x'], ['a', 'y'], ['b', 'x'], ['a', 'x'], ['b', 'y'], ['b', 'x']].map(([source, event]) => eventContext(source as string, event as string, none, {}, undefined).kind);
    expect(kinds).toEqual(['a\0x', 'a\0x', 'a\0y', 'b\0x', 'a\0x', 'b\0y', 'b\0x']);
    // The same string, not an equal one: tables keyed by kind hash it once.
    expect(kinds[4]).toBe(kinds[0]);
    expect(newHandlerContext('b', 'x', {}).kind).toBe(kinds[3]);
  });

  it('reads no clock as it is made: most handled events are never asked when they started', () => {
    const dateNow = vi.spyOn(Date, 'now');
    const performanceNow = vi.spyOn(performance, 'now');
    try {
      const context = eventContext('lib', 'messageCreate', () => ({}), {}, undefined);
      handlerStorage.run(context, () => currentHandler());
      expect(dateNow).not.toHaveBeenCalled();
      expect(performanceNow).not.toHaveBeenCalled();
    } finally {
      dateNow.mockRestore();
      performanceNow.mockRestore();
    }
  });

  it('has no attributes, and no error, when reading them throws (an app getter)', () => {
    const context = eventContext('lib', 'e', () => { throw new Error('getter'); }, {}, undefined);
    expect(context.attributes).toEqual({});
  });

  it('shows its fields, never the event\'s objects, to console.log and JSON', () => {
    const secret = { token: 'NOT-TO-BE-SHOWN' };
    const context = eventContext('lib', 'e', () => ({ guildId: 'g' }), secret, undefined);
    const shown = [inspect(context), JSON.stringify(context)];
    for (const text of shown) {
      expect(text).toContain('guildId');
      expect(text).not.toContain('NOT-TO-BE-SHOWN');
    }
    expect(JSON.parse(shown[1]!)).toMatchObject({ source: 'lib', event: 'e', attributes: { guildId: 'g' }, allowBlocking: false });
  });

  it('allowBlocking keeps the handler (its id and attributes) with blocking accepted', () => {
    const context = eventContext('lib', 'e', () => ({ guildId: 'g' }), {}, undefined);
    const inside = handlerStorage.run(context, () => allowBlocking(() => currentHandler()));
    expect(inside).toMatchObject({ id: context.id, source: 'lib', event: 'e', kind: context.kind, allowBlocking: true, attributes: { guildId: 'g' } });
    expect(context.allowBlocking).toBe(false);
  });

  it('outsideHandlers runs loopguard\'s own work with no handler, and the handler is back after', () => {
    const context = eventContext('lib', 'e', () => ({}), {}, undefined);
    handlerStorage.run(context, () => {
      expect(outsideHandlers(() => currentHandler())).toBeUndefined();
      expect(currentHandler()).toBe(context);
    });
  });

  it('keeps each part\'s state per handler (HandlerState), apart from other parts\', and never shows it', () => {
    const spans = new HandlerState<string>();
    const pending = new HandlerState<number>();
    const a = newHandlerContext('lib', 'e', { guildId: 'g' });
    const b = newHandlerContext('lib', 'e', {});
    spans.set(a, 'span of a');
    pending.set(a, 1);
    expect([spans.get(a), pending.get(a), spans.get(b), pending.get(b)]).toEqual(['span of a', 1, undefined, undefined]);
    expect(JSON.stringify(a)).not.toContain('span of a');
    expect(inspect(a)).not.toContain('span of a');
    // A context of another copy of loopguard (a plain object) keeps state too.
    const foreign: HandlerContext = { id: 0, source: 'lib', event: 'e', attributes: {}, allowBlocking: false, kind: 'lib\0e' };
    spans.set(foreign, 'foreign');
    expect(spans.get(foreign)).toBe('foreign');
  });
});
