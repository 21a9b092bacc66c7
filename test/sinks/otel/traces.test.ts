import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { addSink, configure, runInHandler, track } from '../../../src/index';
import { otelSink } from '../../../src/otel';
import { lineOf } from '../../support/run-node';
import { Scratch } from '../../support/scratch';
import { attributesOf, guardWithSdk, tree, type Sdk } from './support';

const handlers = require('../../fixtures/otel/handlers.js') as { loadPoints(file: string): Promise<void>; strictRead(file: string): Promise<void> };
const handlersFile = resolve(__dirname, '../../fixtures/otel/handlers.js');

/* Handler spans and blocking-call spans, with the real SDK (in-memory exporter) in this process. */

const scratch = new Scratch();
const file = scratch.file('db.json', '{"points":1}');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const guarded = guardWithSdk();
let sdk: Sdk;

beforeAll(() => {
  sdk = guarded.sdk;
});
afterEach(() => {
  sdk.reset();
  configure({ mode: 'report' });
});
afterAll(() => scratch.remove());

function bot(options?: ConstructorParameters<typeof EventEmitter>[0]) {
  const emitter = new EventEmitter(options);
  track(emitter, { source: 'bot', attributes: (_event, [first]) => ({ guildId: (first as { guild?: string } | undefined)?.guild }) });
  return emitter;
}

describe('a handled event', () => {
  it('is a span, ended when the async listener settles, with the blocking call as a child span at the user\'s line', async () => {
    const emitter = bot();
    let settled = false;
    emitter.on('messageCreate', async () => {
      await handlers.loadPoints(file);
      settled = true;
    });
    emitter.emit('messageCreate', { guild: '42' });
    await sleep(10);
    expect(sdk.spans().map((s) => s.name)).toEqual(['fs.readFileSync']); // the handler span is still open
    await sleep(40);
    expect(settled).toBe(true);
    const spans = sdk.spans();
    expect(tree(spans)).toEqual([['fs.readFileSync', 'bot messageCreate'], ['bot messageCreate', undefined]]);
    const [call, handler] = spans;
    expect(attributesOf(handler)).toEqual({
      'loopguard.handler.source': 'bot', 'loopguard.handler.event': 'messageCreate', 'loopguard.handler.guild_id': '42',
    });
    expect(attributesOf(call)).toMatchObject({
      'loopguard.api': 'fs.readFileSync',
      'loopguard.kind': 'file-system',
      'loopguard.outcome': 'ran',
      'loopguard.docs': 'https://github.com/loopguard/loopguard/blob/main/docs/fixing.md#fixing-file-system',
      'code.file.path': handlersFile,
      'code.line.number': lineOf(handlersFile, 'read'),
      'code.column.number': 6,
      'code.function.name': 'loadPoints',
    });
    expect(String(attributesOf(call)['loopguard.hint'])).toContain('fs.promises.readFile');
    expect(String(attributesOf(call)['code.stacktrace'])).toContain(`${handlersFile}:${lineOf(handlersFile, 'read')}`);
    // The call's span lies inside the handler's, with the call's own duration.
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(call!.startTime)).toBeGreaterThanOrEqual(ms(handler!.startTime));
    expect(ms(call!.endTime)).toBeLessThanOrEqual(ms(handler!.endTime));
    expect(ms(handler!.endTime) - ms(call!.endTime)).toBeGreaterThanOrEqual(15); // the later await is inside too
  });

  it('places the call by the handler span\'s clock, where the monotonic clock is off Date.now() (as Node 20 can be under load)', async () => {
    // performance.timeOrigin + performance.now() 5 ms behind Date.now(): the clock calls are timed by.
    const origin = performance.timeOrigin;
    Object.defineProperty(performance, 'timeOrigin', { value: origin - 5, configurable: true });
    try {
      const emitter = bot();
      emitter.on('messageCreate', async () => {
        fs.readFileSync(file);
        await sleep(5);
      });
      emitter.emit('messageCreate', {});
      await sleep(30);
    } finally {
      delete (performance as { timeOrigin?: number }).timeOrigin;
    }
    expect(performance.timeOrigin).toBe(origin);
    const [call, handler] = sdk.spans();
    expect(call?.name).toBe('fs.readFileSync');
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    // Before the fix the call began 5 ms before its handler; the listener's await comes after it.
    expect(ms(call!.startTime)).toBeGreaterThanOrEqual(ms(handler!.startTime));
    expect(ms(handler!.endTime)).toBeGreaterThan(ms(call!.endTime));
  });

  it('nests a blocking call under the user\'s own span, and user spans under the handler span', async () => {
    const emitter = bot();
    const tracer = sdk.tracerProvider.getTracer('app');
    emitter.on('interactionCreate', async () => {
      await tracer.startActiveSpan('load profile', async (span) => {
        await sleep(1);
        fs.statSync(file);
        span.end();
      });
    });
    emitter.emit('interactionCreate', {});
    await sleep(30);
    expect(tree(sdk.spans())).toEqual([
      ['fs.statSync', 'load profile'], ['load profile', 'bot interactionCreate'], ['bot interactionCreate', undefined],
    ]);
  });

  it('covers every listener of the event, and ends when the last one settles', async () => {
    const emitter = bot();
    emitter.on('ready', async () => sleep(5));
    emitter.on('ready', async () => sleep(25));
    emitter.on('ready', () => undefined);
    emitter.emit('ready');
    await sleep(15);
    expect(sdk.spans()).toEqual([]);
    await sleep(30);
    expect(tree(sdk.spans())).toEqual([['bot ready', undefined]]);
  });

  it('is a child of the span active where the event was emitted', () => {
    const emitter = bot();
    emitter.on('tick', () => undefined);
    sdk.tracerProvider.getTracer('app').startActiveSpan('gateway packet', (span) => {
      emitter.emit('tick');
      span.end();
    });
    expect(tree(sdk.spans())).toEqual([['bot tick', 'gateway packet'], ['gateway packet', undefined]]);
  });

  it('runInHandler: the promise it returns is the handler\'s work', async () => {
    const result = runInHandler({ source: 'jobs', event: 'sweep' }, async () => {
      await sleep(5);
      return 7;
    });
    expect(sdk.spans()).toEqual([]);
    expect(await result).toBe(7);
    await sleep(1);
    expect(tree(sdk.spans())).toEqual([['jobs sweep', undefined]]);
  });
});

describe('errors', () => {
  it('strict mode: the BlockingCallError is an exception on the handler span, whose status is error', async () => {
    configure({ mode: 'strict' });
    const emitter = bot({ captureRejections: true });
    const caught: unknown[] = [];
    emitter.on('error', (error) => caught.push(error));
    emitter.on('messageCreate', () => handlers.strictRead(file));
    emitter.emit('messageCreate', {});
    await sleep(20);
    const [call, handler] = sdk.spans();
    expect(call?.name).toBe('fs.readFileSync');
    expect(attributesOf(call)['loopguard.outcome']).toBe('thrown');
    expect(call?.status.code).toBe(SpanStatusCode.ERROR);
    expect(handler?.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(handler?.status.message).toMatch(/^fs\.readFileSync would block the event loop in handler "messageCreate" \(bot\) at .*handlers\.js:\d+/);
    expect(handler?.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([['exception', 'ERR_LOOPGUARD_BLOCKING_CALL']]); // the SDK names an error by its code
    expect(caught).toHaveLength(1); // captureRejections still delivers it to 'error'
  });

  it('a listener that throws synchronously: recorded (class, code and frames, not the message, which can hold secrets), and thrown to the emitter as before', () => {
    const emitter = bot();
    emitter.on('messageCreate', () => {
      throw Object.assign(new TypeError('bad input: token abc123'), { code: 'ERR_BAD' });
    });
    expect(() => emitter.emit('messageCreate', {})).toThrow('bad input: token abc123');
    const [handler] = sdk.spans();
    const message = 'TypeError (ERR_BAD): message not recorded (it can hold secrets)';
    expect(handler?.status).toEqual({ code: SpanStatusCode.ERROR, message });
    const exception = handler?.events.find((e) => e.name === 'exception')?.attributes;
    expect(exception).toMatchObject({ 'exception.type': 'ERR_BAD', 'exception.message': message });
    expect(String(exception?.['exception.stacktrace'])).toMatch(new RegExp(`^${message.replace(/[()]/g, '\\$&')}\n    at `));
    expect(JSON.stringify({ status: handler?.status, events: handler?.events })).not.toContain('abc123');
  });

  it('a rejection that nobody handles is still unhandled (observing it hides nothing)', async () => {
    const emitter = bot();
    const unhandled: unknown[] = [];
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', (reason) => unhandled.push(reason));
    try {
      const error = new Error('lost');
      emitter.on('messageCreate', async () => {
        throw error;
      });
      emitter.emit('messageCreate', {});
      await sleep(20);
      expect(unhandled).toEqual([error]);
      expect(sdk.spans()[0]?.status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const l of listeners) process.on('unhandledRejection', l);
    }
  });
});

describe('the emitter behaves as before while spans are recorded', () => {
  it('once listeners run once and are removed; listeners added during an emit wait for the next one', () => {
    const emitter = bot();
    const calls: string[] = [];
    emitter.once('e', () => calls.push('once'));
    emitter.on('e', () => {
      calls.push('on');
      emitter.on('e', () => calls.push('added'));
    });
    expect(emitter.emit('e')).toBe(true);
    expect(calls).toEqual(['once', 'on']);
    expect(emitter.listenerCount('e')).toBe(2);
    expect(emitter.emit('nothing')).toBe(false);
  });

  it('captureRejections: a rejection goes to Symbol.for("nodejs.rejection") when the emitter has one', async () => {
    const emitter = bot({ captureRejections: true });
    const seen: unknown[] = [];
    (emitter as unknown as Record<symbol, unknown>)[Symbol.for('nodejs.rejection')] = (error: unknown, event: string) => seen.push([event, error]);
    const error = new Error('x');
    emitter.on('e', async () => {
      throw error;
    });
    emitter.emit('e', 1);
    await sleep(5);
    expect(seen).toEqual([['e', error]]);
  });
});

describe('@discordjs/core\'s emitter (@vladfrangu/async_event_emitter)', () => {
  it('the handler span ends when the listener\'s promise settles', async () => {
    // The copy @discordjs/core uses.
    const fromCore = createRequire(require.resolve('@discordjs/core'));
    const { AsyncEventEmitter } = fromCore('@vladfrangu/async_event_emitter') as { AsyncEventEmitter: new () => EventEmitter };
    const emitter = new AsyncEventEmitter();
    track(emitter, { source: 'core' });
    emitter.on('MESSAGE_CREATE', async () => {
      await sleep(20);
      fs.statSync(file);
    });
    emitter.emit('MESSAGE_CREATE', {});
    await sleep(5);
    expect(sdk.spans()).toEqual([]);
    await sleep(40);
    expect(tree(sdk.spans())).toEqual([['fs.statSync', 'core MESSAGE_CREATE'], ['core MESSAGE_CREATE', undefined]]);
  });
});

describe('without a recording SDK', () => {
  it('a no-op tracer (no SDK registered) makes no spans and the listeners run as before', () => {
    guarded.disconnect();
    const noop = addSink(otelSink({ tracerProvider: trace.getTracerProvider() }));
    try {
      const emitter = bot();
      const seen: unknown[] = [];
      emitter.on('e', function (this: unknown) {
        seen.push(this);
      });
      emitter.emit('e');
      expect(seen).toEqual([emitter]);
      expect(sdk.spans()).toEqual([]);
    } finally {
      noop();
      guarded.connect();
    }
  });
});
