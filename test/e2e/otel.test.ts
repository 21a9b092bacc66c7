import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotProcess, GatewayEmulator } from '../../src/testing/index';
import { botFixture, startBot } from '../support/bot';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { lineOf } from '../support/run-node';

/*
 * A real discord.js bot under loopguard, with the real OpenTelemetry SDK exporting over OTLP/HTTP
 * to a receiver started here: what a tracing backend (Jaeger, Tempo) would receive.
 */

const script = botFixture('djs-bot.js');
const tracing = resolve(__dirname, '../fixtures/otel/tracing.js');
const SPAN_KIND_CONSUMER = 5;
const STATUS_ERROR = 2;

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await OtlpReceiver.start();
});
afterEach(async () => {
  await receiver.close();
});

const named = (name: string) => (s: ReceivedSpan) => s.name === name;
const childrenOf = (parent: ReceivedSpan | undefined) => receiver.spans.filter((s) => s.parentSpanId === parent?.spanId);

describe.each([
  ['SDK preload before loopguard', { before: ['-r', tracing] }],
  ['SDK preload after loopguard', { after: ['-r', tracing] }],
])('%s', (_name, args) => {
  it('a messageCreate handler is a span with its ids; the blocking call is its child at the bot\'s line; metrics arrive', async () => {
    const { emulator, stop } = await startBot(script, { ...args, env: { OTLP_ENDPOINT: receiver.url } });
    const sent = emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    await receiver.waitFor((r) => r.spans.some(named('discord.js messageCreate'))
      && r.metrics.some((m) => m.name === 'loopguard.blocking_calls'));
    const { reports } = await stop();
    expect(reports).toHaveLength(1);

    const handler = receiver.spans.find(named('discord.js messageCreate'));
    expect(handler).toMatchObject({
      kind: SPAN_KIND_CONSUMER,
      scope: 'loopguard',
      attributes: {
        'loopguard.handler.source': 'discord.js',
        'loopguard.handler.event': 'messageCreate',
        'loopguard.handler.dispatch': 'MESSAGE_CREATE',
        'loopguard.handler.shard': 0,
        'loopguard.handler.guild_id': sent['guild_id'],
        'loopguard.handler.channel_id': sent['channel_id'],
        'loopguard.handler.message_id': sent['id'],
      },
    });
    const [call] = childrenOf(handler);
    expect(call).toMatchObject({
      name: 'fs.readFileSync',
      attributes: {
        'loopguard.api': 'fs.readFileSync',
        'loopguard.kind': 'file-system',
        'code.file.path': script,
        'code.line.number': lineOf(script, 'read'),
      },
    });
    // The handler span lasts until the reply (an awaited REST call after the read) is done.
    expect(call!.startNs).toBeGreaterThanOrEqual(handler!.startNs);
    expect(handler!.endNs).toBeGreaterThan(call!.endNs);
    expect(JSON.stringify(receiver.spans.map((s) => [s.attributes, s.events]))).not.toContain('!read'); // never message content

    const calls = receiver.metrics.filter((m) => m.name === 'loopguard.blocking_calls').at(-1);
    expect(calls?.unit).toBe('{call}');
    expect(calls?.points).toEqual([{
      attributes: {
        'loopguard.api': 'fs.readFileSync', 'loopguard.kind': 'file-system', 'loopguard.outcome': 'ran',
        'loopguard.handler.source': 'discord.js', 'loopguard.handler.event': 'messageCreate',
      },
      value: 1, count: undefined, sum: undefined,
    }]);
    await receiver.waitFor((r) => r.metrics.some((m) => m.name === 'loopguard.blocking_call.duration'));
    const duration = receiver.metrics.find((m) => m.name === 'loopguard.blocking_call.duration');
    expect(duration?.unit).toBe('s');
    expect(duration?.points[0]?.count).toBe(1);
  });
});

describe('stalls', () => {
  it('a busy loop in a handler is an error span over the stalled time, under the handler\'s span; stall metrics arrive', async () => {
    const { emulator, stop } = await startBot(script, { before: ['-r', tracing], env: { OTLP_ENDPOINT: receiver.url, LOOPGUARD_STALL_MS: '300' } });
    emulator.sendMessage('!spin');
    await emulator.waitForMessages(1);
    await receiver.waitFor((r) => r.spans.some(named('event loop stall')) && r.spans.some(named('discord.js messageCreate'))
      && r.metrics.some((m) => m.name === 'loopguard.stall.duration'));
    await stop();
    const stall = receiver.spans.find(named('event loop stall'));
    const handler = receiver.spans.find((s) => s.spanId === stall?.parentSpanId);
    expect(handler?.name).toBe('discord.js messageCreate');
    expect(stall).toMatchObject({
      status: { code: STATUS_ERROR },
      attributes: {
        'loopguard.kind': 'stall', 'loopguard.api': 'spinFor', 'loopguard.outcome': 'captured', 'loopguard.stall.threshold_ms': 300,
        'code.file.path': script, 'code.line.number': lineOf(script, 'spinner'),
      },
    });
    expect(Number(stall!.endNs - stall!.startNs) / 1e6).toBeGreaterThanOrEqual(300);
    expect(String(stall!.attributes['code.stacktrace'])).toContain(`${script}:${lineOf(script, 'spin')}:`);
    const duration = receiver.metrics.find((m) => m.name === 'loopguard.stall.duration');
    expect(duration?.points[0]).toMatchObject({ count: 1, attributes: { 'loopguard.handler.event': 'messageCreate', 'loopguard.kind': 'stall' } });
  });
});

describe('strict mode', () => {
  it('the handler span has error status and the BlockingCallError as an exception event; the bot goes on', async () => {
    const { emulator, stop } = await startBot(script, { before: ['-r', tracing], env: { OTLP_ENDPOINT: receiver.url, LOOPGUARD_MODE: 'strict' } });
    emulator.sendMessage('!read');
    emulator.sendMessage('!ping');
    await emulator.waitForMessages(1); // the pong: !read never replied
    await receiver.waitFor((r) => r.spans.filter(named('discord.js messageCreate')).length === 2);
    await stop();
    const failed = receiver.spans.filter(named('discord.js messageCreate')).find((s) => s.status.code === STATUS_ERROR);
    expect(failed?.status.message).toMatch(/^fs\.readFileSync would block the event loop in handler "messageCreate" \(discord\.js\)/);
    expect(failed?.events).toEqual([expect.objectContaining({
      name: 'exception',
      attributes: expect.objectContaining({ 'exception.type': 'ERR_LOOPGUARD_BLOCKING_CALL' }),
    })]);
    expect(childrenOf(failed)).toEqual([expect.objectContaining({ name: 'fs.readFileSync', status: expect.objectContaining({ code: STATUS_ERROR }) })]);
  });
});

describe('with the zero-code setup (@opentelemetry/auto-instrumentations-node/register)', () => {
  const env = () => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fs,http,undici',
    OTEL_NODE_RESOURCE_DETECTORS: 'none',
  });

  it.each([
    ['before loopguard', 'before'],
    ['after loopguard', 'after'],
  ] as const)('registered %s: the library\'s REST call and instrumentation-fs\'s span nest under loopguard\'s handler span; one report', async (_name, where) => {
    const auto = ['-r', '@opentelemetry/auto-instrumentations-node/register'];
    const { emulator, stop } = await startBot(script, { [where]: auto, env: env() });
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    await receiver.waitFor((r) => r.spans.some(named('discord.js messageCreate')) && r.spans.some(named('fs.readFileSync')));
    const { reports } = await stop();
    expect(reports.map((r) => r.api)).toEqual(['fs.readFileSync']);
    const handler = receiver.spans.find(named('discord.js messageCreate'));
    const children = childrenOf(handler);
    // instrumentation-fs wraps the same function. Registered after loopguard, its wrapper is the
    // outer one and its span the parent of loopguard's; registered before, the two are siblings
    // (loopguard's span is made when the call has returned, with the call's own start and end).
    const theirs = children.find(named('fs readFileSync'));
    const ours = (where === 'after' ? childrenOf(theirs) : children).find(named('fs.readFileSync'));
    expect(ours?.attributes['code.line.number']).toBe(lineOf(script, 'read'));
    expect(theirs).toBeDefined();
    // discord.js' reply goes out through undici: that span is the handler's child.
    expect(children.some((s) => s.scope.includes('undici') && s.name.startsWith('POST'))).toBe(true);
  });
});

describe('LoopguardInstrumentation in the NodeSDK\'s instrumentations list (no preload)', () => {
  it('installs the guard from the environment and exports to the SDK\'s providers', async () => {
    const emulator = await GatewayEmulator.start();
    const bot = BotProcess.start({
      script,
      emulator,
      nodeArgs: ['-r', resolve(__dirname, '../fixtures/otel/sdk-instrumentation.js')],
      env: { OTLP_ENDPOINT: receiver.url, LOOPGUARD_MODE: 'strict', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    try {
      await bot.waitForOutput(/ready/);
      emulator.sendMessage('!read');
      emulator.sendMessage('!ping');
      await emulator.waitForMessages(1);
      await receiver.waitFor((r) => r.spans.filter(named('discord.js messageCreate')).length === 2);
    } finally {
      await bot.stop();
      await emulator.close();
    }
    expect(emulator.unknownRoutes.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    const stopped = receiver.spans.find(named('fs.readFileSync'));
    expect(stopped?.attributes['loopguard.outcome']).toBe('thrown'); // LOOPGUARD_MODE came from the environment
    expect(receiver.spans.filter(named('fs.readFileSync'))).toHaveLength(1); // one sink, not two
  });
});

describe('an OTLP endpoint that is down', () => {
  it('loses only the telemetry: the bot answers, reports are written, the process exits cleanly', async () => {
    const down = await OtlpReceiver.start();
    await down.close();
    const { emulator, stop } = await startBot(script, { before: ['-r', tracing], env: { OTLP_ENDPOINT: down.url } });
    emulator.sendMessage('!read');
    emulator.sendMessage('!ping');
    await emulator.waitForMessages(2);
    await new Promise((r) => setTimeout(r, 300)); // a few failed exports
    const { reports, code } = await stop();
    expect(code).toBe(0);
    expect(reports.map((r) => r.api)).toEqual(['fs.readFileSync']);
  });
});

describe('examples/otel/tracing.js (the documented setup)', () => {
  it('exports loopguard\'s spans and metrics over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const example = resolve(__dirname, '../../examples/otel/tracing.js');
    const { emulator, stop } = await startBot(script, {
      before: ['-r', example],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '200' },
    });
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    await receiver.waitFor((r) => r.spans.some(named('fs.readFileSync'))
      && ['loopguard.blocking_calls', 'loopguard.blocking_call.duration'].every((n) => r.metrics.some((m) => m.name === n)));
    await stop();
    const handler = receiver.spans.find(named('discord.js messageCreate'));
    expect(childrenOf(handler).map((s) => s.name)).toContain('fs.readFileSync');
    expect(receiver.metrics.find((m) => m.name === 'loopguard.blocking_call.duration')?.unit).toBe('s');
  });
});
