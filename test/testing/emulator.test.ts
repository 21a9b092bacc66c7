import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GatewayEmulator, shardOf } from '../../src/testing/index';

/* The emulator speaks the gateway protocol: tested with a raw WebSocket client, step by step. */

interface Payload { op: number; d?: any; s?: number | null; t?: string | null }

class RawClient {
  readonly received: Payload[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number } | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Payload);
      for (const w of this.waiters) w();
    });
    ws.on('close', (code) => {
      this.closed = { code };
      for (const w of this.waiters) w();
    });
  }
  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(`${url}?v=10&encoding=json`);
    const client = new RawClient(ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return client;
  }
  send(payload: Payload): void {
    this.ws.send(JSON.stringify(payload));
  }
  async until(done: () => boolean, ms = 5000): Promise<void> {
    const start = Date.now();
    while (!done()) {
      if (Date.now() - start > ms) throw new Error(`timed out; received ${JSON.stringify(this.received.map((p) => [p.op, p.t, p.s]))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  dispatches(): Payload[] {
    return this.received.filter((p) => p.op === 0);
  }
}

const open: (GatewayEmulator | RawClient)[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof RawClient) x.ws.terminate();
    else await x.close();
  }
});
async function emulator(options = {}) {
  const e = await GatewayEmulator.start(options);
  open.push(e);
  return e;
}
async function connect(e: GatewayEmulator) {
  const c = await RawClient.connect(e.gatewayUrl);
  open.push(c);
  return c;
}
const identify = (shard: [number, number] = [0, 1]) => ({ op: 2, d: { token: 't', intents: 33281, properties: {}, shard } });

describe('gateway emulator', () => {
  it('GET /gateway/bot gives the gateway URL, the shard count and the session start limit', async () => {
    const e = await emulator({ shards: 3 });
    const res = await fetch(`${e.apiUrl}/v10/gateway/bot`);
    expect(await res.json()).toMatchObject({ url: e.gatewayUrl, shards: 3, session_start_limit: { max_concurrency: 1 } });
  });

  it('HELLO, IDENTIFY → READY then GUILD_CREATE, heartbeat → ACK', async () => {
    const e = await emulator({ heartbeatIntervalMs: 5000, guilds: 2 });
    const c = await connect(e);
    await c.until(() => c.received.length >= 1);
    expect(c.received[0]).toEqual({ op: 10, d: { heartbeat_interval: 5000 } });
    c.send(identify());
    await c.until(() => c.dispatches().length >= 3);
    const [ready, g1, g2] = c.dispatches();
    expect(ready).toMatchObject({ t: 'READY', s: 1, d: { v: 10, session_id: expect.any(String), resume_gateway_url: e.gatewayUrl, application: { id: e.application.id }, shard: [0, 1] } });
    expect(ready!.d.guilds).toEqual(e.guilds.map((g) => ({ id: g.id, unavailable: true })));
    expect([g1!.t, g1!.s, g2!.t, g2!.s]).toEqual(['GUILD_CREATE', 2, 'GUILD_CREATE', 3]);
    expect(g1!.d.channels[0]).toMatchObject({ type: 0, name: 'general' });
    c.send({ op: 1, d: 3 });
    await c.until(() => c.received.some((p) => p.op === 11));
  });

  it('RESUME replays the dispatches the client missed, then RESUMED', async () => {
    const e = await emulator();
    const c = await connect(e);
    c.send(identify());
    await c.until(() => c.dispatches().length >= 2);
    const sessionId = c.dispatches()[0]!.d.session_id as string;
    const seen = c.dispatches().at(-1)!.s!;
    c.ws.terminate();
    await c.until(() => c.closed !== undefined);
    e.sendMessage('missed one');
    e.sendMessage('missed two');
    const again = await connect(e);
    again.send({ op: 6, d: { token: 't', session_id: sessionId, seq: seen } });
    await again.until(() => again.dispatches().some((p) => p.t === 'RESUMED'));
    expect(again.dispatches().map((p) => [p.t, p.s, p.d?.content])).toEqual([
      ['MESSAGE_CREATE', seen + 1, 'missed one'],
      ['MESSAGE_CREATE', seen + 2, 'missed two'],
      ['RESUMED', seen + 3, undefined],
    ]);
  });

  it('an unknown session cannot resume: INVALID_SESSION', async () => {
    const e = await emulator();
    const c = await connect(e);
    c.send({ op: 6, d: { token: 't', session_id: 'nope', seq: 1 } });
    await c.until(() => c.received.some((p) => p.op === 9));
  });

  it('several shards: each identifies on its own and gets its guilds and their events', async () => {
    const e = await emulator({ shards: 2, guilds: 4 });
    const shards = [await connect(e), await connect(e)];
    shards.forEach((c, i) => c.send(identify([i, 2])));
    await e.ready();
    for (const [i, c] of shards.entries()) {
      const own = e.guilds.filter((g) => shardOf(g.id, 2) === i).map((g) => g.id);
      await c.until(() => c.dispatches().filter((p) => p.t === 'GUILD_CREATE').length === own.length);
      expect(c.dispatches().filter((p) => p.t === 'GUILD_CREATE').map((p) => p.d.id).sort()).toEqual(own.sort());
    }
    expect(new Set(e.guilds.map((g) => shardOf(g.id, 2)))).toEqual(new Set([0, 1]));
    const target = e.guilds.find((g) => shardOf(g.id, 2) === 1)!;
    e.sendMessage('to shard 1', { channel: target.channels[0] });
    await shards[1]!.until(() => shards[1]!.dispatches().some((p) => p.t === 'MESSAGE_CREATE'));
    expect(shards[0]!.dispatches().some((p) => p.t === 'MESSAGE_CREATE')).toBe(false);
  });

  it('closes a connection that stops sending heartbeats (4009), as Discord does', async () => {
    const e = await emulator({ heartbeatIntervalMs: 100 });
    const c = await connect(e);
    c.send(identify());
    await c.until(() => c.closed !== undefined, 5000);
    expect(c.closed).toEqual({ code: 4009 });
  });

  it('REST: messages the bot sends are recorded; interaction callbacks answer 204 and time the acknowledgement', async () => {
    const e = await emulator();
    const c = await connect(e);
    c.send(identify());
    await e.ready();
    const res = await fetch(`${e.apiUrl}/v10/channels/${e.channel.id}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'hello' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ content: 'hello', channel_id: e.channel.id, author: { id: e.bot.id } });
    expect(e.sentMessages.map((m) => m['content'])).toEqual(['hello']);

    const { interaction, acknowledged } = e.sendCommand('ping');
    const cb = await fetch(`${e.apiUrl}/v10/interactions/${interaction['id']}/${interaction['token']}/callback`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 5 }),
    });
    expect(cb.status).toBe(204);
    expect(cb.headers.get('content-type')).toBeNull();
    expect(await acknowledged).toMatchObject({ interactionId: interaction['id'], type: 5, late: false });
    expect((await fetch(`${e.apiUrl}/v10/nothing/here`)).status).toBe(404);
  });

  it('REST: a multipart body (payload_json and a file, a real FormData) is read with its file', async () => {
    const e = await emulator();
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'the report', attachments: [{ id: 0, filename: 'report.txt' }] }));
    form.append('files[0]', new Blob(['ten bytes!'], { type: 'text/plain' }), 'upload.txt');
    const res = await fetch(`${e.apiUrl}/v10/channels/${e.channel.id}/messages`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ content: 'the report', channel_id: e.channel.id });
    const call = e.restCalls.at(-1)!;
    expect(call.body).toEqual({ content: 'the report', attachments: [{ id: 0, filename: 'report.txt' }] });
    expect(call.files.map((f) => [f.field, f.filename, f.contentType, f.data.toString('utf8')])).toEqual([['files[0]', 'upload.txt', 'text/plain', 'ten bytes!']]);
    // Plain form fields without payload_json are the body too.
    const fields = new FormData();
    fields.append('content', 'by form');
    await fetch(`${e.apiUrl}/v10/channels/${e.channel.id}/messages`, { method: 'POST', body: fields });
    expect(e.restCalls.at(-1)!.body).toEqual({ content: 'by form' });
    expect(e.sentMessages.map((m) => m.content)).toEqual(['the report', 'by form']);
  });

  it('an interaction nobody acknowledges resolves as late', async () => {
    const e = await emulator();
    const c = await connect(e);
    c.send(identify());
    await e.ready();
    const ack = await e.sendCommand('ignored', { timeoutMs: 200 }).acknowledged;
    expect(ack).toMatchObject({ type: 0, late: true });
  });
});
