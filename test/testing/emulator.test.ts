import { afterEach, describe, expect, it } from 'vitest';
import { get as httpsGet } from 'node:https';
import WebSocket from 'ws';
import { GatewayEmulator, shardOf, type GuildSpec } from '../../src/testing/index';
import { testCertificate } from '../support/tls';

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

/* REST, over real HTTP: each route family, the multipart parse and Discord's error bodies. */

interface Answer { status: number; body: any }

async function rest(e: GatewayEmulator, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${e.apiUrl}/v10${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** An emulator with one identified shard (needed to dispatch messages and interactions). */
async function identified(options = {}) {
  const e = await emulator(options);
  const c = await connect(e);
  c.send(identify());
  await e.ready();
  return { e, c };
}

describe('emulator REST: unknown routes and resources', () => {
  it('a route it does not serve: 404 with Discord\'s generic body, recorded in unknownRoutes', async () => {
    const e = await emulator();
    expect(await rest(e, 'GET', '/nothing/here?x=1')).toEqual({ status: 404, body: { message: '404: Not Found', code: 0 } });
    // A known path with a method it does not serve, and an id that is not a snowflake, are unknown routes too.
    expect((await rest(e, 'PUT', `/channels/${e.channel.id}/messages`, {})).body).toEqual({ message: '404: Not Found', code: 0 });
    expect((await rest(e, 'GET', '/channels/undefined')).status).toBe(404);
    expect(e.unknownRoutes.map((c) => [c.method, c.path, c.query, c.status])).toEqual([
      ['GET', '/nothing/here', { x: '1' }, 404],
      ['PUT', `/channels/${e.channel.id}/messages`, {}, 404],
      ['GET', '/channels/undefined', {}, 404],
    ]);
  });

  it('a served route naming something that does not exist: 404 with the resource\'s own code, not an unknown route', async () => {
    const e = await emulator();
    const g = e.guilds[0]!.id;
    const cases: [string, string, number, string][] = [
      ['GET', '/channels/123', 10003, 'Unknown Channel'],
      ['GET', '/guilds/123', 10004, 'Unknown Guild'],
      ['GET', `/guilds/${g}/members/123`, 10007, 'Unknown Member'],
      ['GET', `/guilds/${g}/roles/123`, 10011, 'Unknown Role'],
      ['GET', '/users/123', 10013, 'Unknown User'],
      ['GET', `/channels/${e.channel.id}/messages/123`, 10008, 'Unknown Message'],
      ['DELETE', `/channels/${e.channel.id}/messages/123`, 10008, 'Unknown Message'],
      ['GET', `/applications/${e.application.id}/commands/123`, 10063, 'Unknown application command'],
      ['GET', '/applications/123/commands', 10002, 'Unknown Application'],
      ['POST', '/interactions/123/nope/callback', 10062, 'Unknown interaction'],
      ['PATCH', `/webhooks/${e.application.id}/nope/messages/@original`, 10015, 'Unknown Webhook'],
    ];
    for (const [method, path, code, message] of cases) {
      expect([method, path, await rest(e, method, path, method === 'GET' || method === 'DELETE' ? undefined : { type: 4 })])
        .toEqual([method, path, { status: 404, body: { code, message } }]);
    }
    expect(e.unknownRoutes).toEqual([]);
    expect(e.restCalls.map((c) => c.status)).toEqual(cases.map(() => 404));
  });
});

describe('emulator REST: what a bot fetches at start-up', () => {
  it('users, the application (both routes), guilds, roles, members and channels', async () => {
    const e = await emulator({ guilds: 2 });
    const [g1, g2] = e.guilds as [GuildSpec, GuildSpec];
    expect((await rest(e, 'GET', '/users/@me')).body).toEqual(e.bot);
    expect((await rest(e, 'GET', `/users/${e.member.id}`)).body).toEqual(e.member);
    for (const path of ['/applications/@me', '/oauth2/applications/@me']) {
      const { status, body } = await rest(e, 'GET', path);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: e.application.id, name: 'loopguard-bot', bot: { id: e.bot.id }, owner: { id: e.member.id }, team: null, flags: 0 });
    }
    const guild = (await rest(e, 'GET', `/guilds/${g2.id}`)).body;
    expect(guild).toMatchObject({ id: g2.id, name: 'guild 2', owner_id: e.member.id, roles: [{ id: g2.id, name: '@everyone' }], preferred_locale: 'en-US' });
    expect(guild).not.toHaveProperty('channels'); // gateway-only, as on Discord
    expect(guild).not.toHaveProperty('approximate_member_count');
    expect((await rest(e, 'GET', `/guilds/${g2.id}?with_counts=true`)).body).toMatchObject({ approximate_member_count: 2, approximate_presence_count: 0 });
    expect((await rest(e, 'GET', `/guilds/${g1.id}/roles`)).body).toEqual([expect.objectContaining({ id: g1.id, name: '@everyone', permissions: '1071698660929' })]);
    expect((await rest(e, 'GET', `/guilds/${g1.id}/roles/${g1.id}`)).body).toMatchObject({ id: g1.id, name: '@everyone' });
    const bot = (await rest(e, 'GET', `/guilds/${g1.id}/members/${e.bot.id}`)).body;
    expect(bot).toMatchObject({ user: { id: e.bot.id }, roles: [], deaf: false, mute: false });
    expect((await rest(e, 'GET', `/guilds/${g1.id}/members/@me`)).body).toEqual(bot);
    expect((await rest(e, 'GET', `/guilds/${g1.id}/members/${e.member.id}`)).body).toMatchObject({ user: { id: e.member.id } });
    expect((await rest(e, 'GET', `/guilds/${g1.id}/members`)).body).toHaveLength(1); // Discord's default limit
    expect((await rest(e, 'GET', `/guilds/${g1.id}/members?limit=10`)).body.map((m: any) => m.user.id).sort()).toEqual([e.bot.id, e.member.id].sort());
    expect((await rest(e, 'GET', `/channels/${g2.channels[0]!.id}`)).body).toEqual(g2.channels[0]);
    expect((await rest(e, 'GET', `/guilds/${g1.id}/channels`)).body).toEqual(g1.channels);
    expect(e.unknownRoutes).toEqual([]);
  });

  it('a DM channel with the member, and a message in it', async () => {
    const e = await emulator();
    const dm = await rest(e, 'POST', '/users/@me/channels', { recipient_id: e.member.id });
    expect(dm).toMatchObject({ status: 200, body: { type: 1, recipients: [{ id: e.member.id }] } });
    expect((await rest(e, 'POST', '/users/@me/channels', { recipient_id: e.member.id })).body.id).toBe(dm.body.id); // one per user
    const sent = await rest(e, 'POST', `/channels/${dm.body.id}/messages`, { content: 'psst' });
    expect(sent.body).toMatchObject({ channel_id: dm.body.id, content: 'psst', author: { id: e.bot.id } });
    expect(sent.body).not.toHaveProperty('guild_id');
    expect((await rest(e, 'GET', `/channels/${dm.body.id}`)).body).toEqual(dm.body);
  });
});

describe('emulator REST: application commands', () => {
  it('global: create (201, then 200 replacing the same name), get, edit, list, bulk overwrite, delete', async () => {
    const e = await emulator();
    const base = `/applications/${e.application.id}/commands`;
    expect(await rest(e, 'GET', base)).toEqual({ status: 200, body: [] });
    const created = await rest(e, 'POST', base, { name: 'ping', description: 'Ping' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^\d{17,20}$/), application_id: e.application.id, version: expect.stringMatching(/^\d+$/),
      type: 1, name: 'ping', name_localizations: null, description: 'Ping', description_localizations: null,
      default_member_permissions: null, default_permission: true, nsfw: false,
      dm_permission: true, contexts: null, integration_types: [0],
    });
    const { id, version } = created.body;
    const same = await rest(e, 'POST', base, { name: 'ping', description: 'Ping' });
    expect([same.status, same.body.id, same.body.version]).toEqual([200, id, version]); // nothing changed: same version
    const replaced = await rest(e, 'POST', base, { name: 'ping', description: 'Pong?', options: [{ type: 3, name: 'text', description: 'what' }] });
    expect([replaced.status, replaced.body.id, replaced.body.version === version]).toEqual([200, id, false]);
    expect(replaced.body.options).toEqual([{ type: 3, name: 'text', description: 'what' }]);
    expect((await rest(e, 'GET', `${base}/${id}`)).body).toEqual(replaced.body);
    const edited = await rest(e, 'PATCH', `${base}/${id}`, { description: 'Edited' });
    expect(edited.body).toMatchObject({ id, name: 'ping', description: 'Edited', options: [{ name: 'text' }] });
    expect(edited.body.version).not.toBe(replaced.body.version);

    const overwritten = await rest(e, 'PUT', base, [{ name: 'ping', description: 'Edited', options: [{ type: 3, name: 'text', description: 'what' }] }, { name: 'Profile', type: 2 }]);
    expect(overwritten.status).toBe(200);
    expect(overwritten.body.map((c: any) => [c.name, c.type, c.description, c.id === id])).toEqual([['ping', 1, 'Edited', true], ['Profile', 2, '', false]]);
    expect(overwritten.body[0].version).toBe(edited.body.version); // unchanged by the overwrite
    expect(e.applicationCommands().map((c) => c.name)).toEqual(['ping', 'Profile']);
    expect(await rest(e, 'DELETE', `${base}/${id}`)).toEqual({ status: 204, body: undefined });
    expect((await rest(e, 'GET', base)).body.map((c: any) => c.name)).toEqual(['Profile']);
    expect((await rest(e, 'PATCH', `${base}/${id}`, { description: 'gone' })).body).toEqual({ code: 10063, message: 'Unknown application command' });
    expect(await rest(e, 'PUT', base, [])).toEqual({ status: 200, body: [] });
    expect(e.unknownRoutes).toEqual([]);
  });

  it('guild: stored with the guild id, apart from the global ones and the other guilds\'; unknown guild; invalid bodies', async () => {
    const e = await emulator({ guilds: 2 });
    const [g1, g2] = e.guilds as [GuildSpec, GuildSpec];
    const base = `/applications/${e.application.id}/guilds/${g1.id}/commands`;
    const put = await rest(e, 'PUT', base, [{ name: 'points', description: 'Your points' }]);
    expect(put.body).toEqual([{
      id: expect.any(String), application_id: e.application.id, guild_id: g1.id, version: expect.any(String), type: 1,
      name: 'points', name_localizations: null, description: 'Your points', description_localizations: null,
      default_member_permissions: null, default_permission: true, nsfw: false,
    }]);
    const created = await rest(e, 'POST', base, { name: 'top', description: 'Top ten', default_member_permissions: '8' });
    expect(created).toMatchObject({ status: 201, body: { guild_id: g1.id, name: 'top', default_member_permissions: '8' } });
    expect((await rest(e, 'GET', `${base}/${created.body.id}`)).body).toEqual(created.body);
    expect((await rest(e, 'PATCH', `${base}/${created.body.id}`, { name: 'top10' })).body).toMatchObject({ id: created.body.id, name: 'top10', guild_id: g1.id });
    expect((await rest(e, 'GET', base)).body.map((c: any) => c.name)).toEqual(['points', 'top10']);
    expect(e.applicationCommands(g1.id).map((c) => c.name)).toEqual(['points', 'top10']);
    expect(e.applicationCommands(g2.id)).toEqual([]);
    expect(e.applicationCommands()).toEqual([]);
    // Another guild's route does not see this guild's command.
    expect((await rest(e, 'GET', `/applications/${e.application.id}/guilds/${g2.id}/commands/${created.body.id}`)).body.code).toBe(10063);
    expect(await rest(e, 'DELETE', `${base}/${created.body.id}`)).toEqual({ status: 204, body: undefined });
    expect((await rest(e, 'GET', `/applications/${e.application.id}/guilds/123/commands`)).body).toEqual({ code: 10004, message: 'Unknown Guild' });

    const invalid = await rest(e, 'POST', base, { name: 'nodescription' });
    expect(invalid).toEqual({ status: 400, body: {
      code: 50035, message: 'Invalid Form Body',
      errors: { description: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } },
    } });
    expect((await rest(e, 'PUT', base, [{ name: 'ok', description: 'fine' }, { description: 'no name' }])).body.errors).toEqual({
      1: { name: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } },
    });
    expect((await rest(e, 'PUT', base, { name: 'not a list' })).status).toBe(400);
    expect(e.applicationCommands(g1.id).map((c) => c.name)).toEqual(['points']); // rejected bodies changed nothing
  });

  it('a slash command a member runs carries the registered command\'s id', async () => {
    const { e } = await identified();
    const guildCommand = (await rest(e, 'POST', `/applications/${e.application.id}/guilds/${e.channel.guild_id}/commands`, { name: 'points', description: 'p' })).body;
    const globalCommand = (await rest(e, 'POST', `/applications/${e.application.id}/commands`, { name: 'help', description: 'h' })).body;
    expect(e.sendCommand('points').interaction.data.id).toBe(guildCommand.id);
    expect(e.sendCommand('help').interaction.data.id).toBe(globalCommand.id);
    expect(e.sendCommand('unregistered').interaction.data.id).toMatch(/^\d+$/);
  });
});

describe('emulator REST: messages', () => {
  it('the bot replies, lists, edits and deletes; it cannot edit a member\'s message; empty messages are refused', async () => {
    const { e } = await identified();
    const base = `/channels/${e.channel.id}/messages`;
    const theirs = e.sendMessage('hello bot');
    const reply = await rest(e, 'POST', base, { content: 'hi', embeds: [{ title: 'card' }], message_reference: { message_id: theirs.id } });
    expect(reply.body).toMatchObject({
      type: 19, content: 'hi', embeds: [{ type: 'rich', title: 'card' }], edited_timestamp: null,
      message_reference: { type: 0, message_id: theirs.id, channel_id: e.channel.id, guild_id: e.channel.guild_id },
      referenced_message: { id: theirs.id, content: 'hello bot' },
    });
    const id = reply.body.id as string;
    expect((await rest(e, 'GET', base)).body.map((m: any) => m.id)).toEqual([id, theirs.id]); // newest first
    expect((await rest(e, 'GET', `${base}?limit=1`)).body.map((m: any) => m.id)).toEqual([id]);
    expect((await rest(e, 'GET', `${base}?before=${id}`)).body.map((m: any) => m.id)).toEqual([theirs.id]);

    const edited = await rest(e, 'PATCH', `${base}/${id}`, { content: 'hi again' });
    expect(edited.body).toMatchObject({ id, content: 'hi again', embeds: [{ title: 'card' }] }); // fields not named stay
    expect(edited.body.edited_timestamp).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect((await rest(e, 'GET', `${base}/${id}`)).body).toEqual(edited.body);
    expect(e.message(id)?.content).toBe('hi again');
    expect(e.sentMessages.map((m) => [m.id, m.content])).toEqual([[id, 'hi again']]); // edited in place, not a new message

    expect(await rest(e, 'PATCH', `${base}/${theirs.id}`, { content: 'not yours' })).toEqual({
      status: 403, body: { code: 50005, message: 'Cannot edit a message authored by another user' },
    });
    expect((await rest(e, 'PATCH', `${base}/${theirs.id}`, { flags: 4 })).body.flags).toBe(4); // suppressing embeds is allowed
    expect(await rest(e, 'POST', base, { content: '' })).toEqual({ status: 400, body: { code: 50006, message: 'Cannot send an empty message' } });
    expect(await rest(e, 'PUT', `${base}/${theirs.id}/reactions/${encodeURIComponent('👍')}/@me`)).toEqual({ status: 204, body: undefined });

    expect(await rest(e, 'DELETE', `${base}/${theirs.id}`)).toEqual({ status: 204, body: undefined }); // a member's: allowed (moderation)
    expect(await rest(e, 'DELETE', `${base}/${id}`)).toEqual({ status: 204, body: undefined });
    expect((await rest(e, 'GET', `${base}/${id}`)).body).toEqual({ code: 10008, message: 'Unknown Message' });
    expect(e.message(id)).toBeUndefined();
    expect((await rest(e, 'POST', '/channels/123/messages', { content: 'x' })).body).toEqual({ code: 10003, message: 'Unknown Channel' });
    expect(e.unknownRoutes).toEqual([]);
  });

  it('multipart: the uploaded file becomes the message\'s attachment, described by the attachments entry; an edit keeps it unless dropped', async () => {
    const e = await emulator();
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'the report', attachments: [{ id: 0, filename: 'report.txt', description: 'weekly' }] }));
    form.append('files[0]', new Blob(['ten bytes!'], { type: 'text/plain' }), 'upload.txt');
    const res = await fetch(`${e.apiUrl}/v10/channels/${e.channel.id}/messages`, { method: 'POST', body: form });
    const msg = await res.json() as any;
    expect(msg).toMatchObject({ content: 'the report', attachments: [{ filename: 'report.txt', description: 'weekly', size: 10, content_type: 'text/plain' }] });
    expect(msg.attachments[0].url).toBe(`https://cdn.discordapp.com/attachments/${e.channel.id}/${msg.attachments[0].id}/report.txt`);
    const fields = new FormData();
    fields.append('content', 'edited by form');
    const edited = await fetch(`${e.apiUrl}/v10/channels/${e.channel.id}/messages/${msg.id}`, { method: 'PATCH', body: fields });
    expect(await edited.json()).toMatchObject({ content: 'edited by form', attachments: [{ id: msg.attachments[0].id }] });
    const dropped = await rest(e, 'PATCH', `/channels/${e.channel.id}/messages/${msg.id}`, { attachments: [] });
    expect(dropped.body.attachments).toEqual([]);
  });
});

describe('emulator REST: interaction responses and their webhooks', () => {
  it('a deferred reply is a loading message until its first edit; follow-ups; get, edit, delete by id and @original', async () => {
    const { e } = await identified();
    const { interaction, acknowledged } = e.sendCommand('export');
    const hook = `/webhooks/${e.application.id}/${interaction.token}`;
    expect((await rest(e, 'POST', hook, { content: 'too early' })).body).toEqual({ code: 10015, message: 'Unknown Webhook' }); // not acknowledged yet
    expect(await rest(e, 'POST', `/interactions/${interaction.id}/${interaction.token}/callback`, { type: 5 })).toEqual({ status: 204, body: undefined });
    expect((await acknowledged).type).toBe(5);
    const loading = (await rest(e, 'GET', `${hook}/messages/@original`)).body;
    expect(loading).toMatchObject({ content: '', flags: 128, type: 20, webhook_id: e.application.id, interaction_metadata: { id: interaction.id, type: 2, user: { id: e.member.id } } });
    expect(e.sentMessages).toEqual([]); // the member sees "thinking", not a message

    const filled = await rest(e, 'PATCH', `${hook}/messages/@original`, { content: 'export done' });
    expect(filled.body).toMatchObject({ id: loading.id, content: 'export done', flags: 0, edited_timestamp: null });
    expect(e.sentMessages.map((m) => [m.id, m.content])).toEqual([[loading.id, 'export done']]);
    const again = await rest(e, 'PATCH', `${hook}/messages/${loading.id}`, { content: 'export done (2 files)' });
    expect(again.body.edited_timestamp).not.toBeNull();
    expect(e.sentMessages).toHaveLength(1);

    const follow = await rest(e, 'POST', hook, { content: 'one more thing', flags: 64 });
    expect(follow.body).toMatchObject({ content: 'one more thing', flags: 64, channel_id: e.channel.id, author: { id: e.bot.id } });
    expect(e.sentMessages.map((m) => m.content)).toEqual(['export done (2 files)', 'one more thing']);
    expect((await rest(e, 'GET', `${hook}/messages/${follow.body.id}`)).body.id).toBe(follow.body.id);
    expect((await rest(e, 'PATCH', `${hook}/messages/${follow.body.id}`, { content: 'changed' })).body).toMatchObject({ content: 'changed', flags: 64 });
    expect((await rest(e, 'GET', `${hook}/messages/123`)).body).toEqual({ code: 10008, message: 'Unknown Message' }); // not this interaction's
    expect(await rest(e, 'DELETE', `${hook}/messages/${follow.body.id}`)).toEqual({ status: 204, body: undefined });
    expect(await rest(e, 'DELETE', `${hook}/messages/@original`)).toEqual({ status: 204, body: undefined });
    expect((await rest(e, 'GET', `${hook}/messages/@original`)).body).toEqual({ code: 10008, message: 'Unknown Message' });
    expect((await rest(e, 'POST', `/webhooks/123/${interaction.token}`, { content: 'x' })).body.code).toBe(10015); // another application
    expect(e.unknownRoutes).toEqual([]);
  });

  it('one response per interaction (40060); a wrong token is an unknown interaction; with_response=true returns the callback object', async () => {
    const { e } = await identified();
    const { interaction } = e.sendCommand('hello');
    const path = `/interactions/${interaction.id}/${interaction.token}/callback`;
    expect((await rest(e, 'POST', `/interactions/${interaction.id}/wrong-token/callback`, { type: 4, data: { content: 'x' } })).body.code).toBe(10062);
    const answered = await rest(e, 'POST', `${path}?with_response=true`, { type: 4, data: { content: 'hi', flags: 64 } });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({
      interaction: { id: interaction.id, type: 2, response_message_id: e.sentMessages[0]!.id, response_message_loading: false, response_message_ephemeral: true },
      resource: { type: 4, message: expect.objectContaining({ id: e.sentMessages[0]!.id, content: 'hi', flags: 64, type: 20 }) },
    });
    expect(await rest(e, 'POST', path, { type: 4, data: { content: 'twice' } })).toEqual({
      status: 400, body: { code: 40060, message: 'Interaction has already been acknowledged.' },
    });
    expect(e.sentMessages.map((m) => m.content)).toEqual(['hi']);
    expect(e.acknowledgements.map((a) => a.type)).toEqual([4]);
  });

  it('multipart interaction callback: the reply carries the file', async () => {
    const { e } = await identified();
    const { interaction, acknowledged } = e.sendCommand('card');
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ type: 4, data: { content: 'your card', attachments: [{ id: 0, filename: 'card.png' }] } }));
    form.append('files[0]', new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' }), 'card.png');
    const res = await fetch(`${e.apiUrl}/v10/interactions/${interaction.id}/${interaction.token}/callback?with_response=false`, { method: 'POST', body: form });
    expect(res.status).toBe(204);
    expect((await acknowledged).type).toBe(4);
    expect(e.sentMessages[0]).toMatchObject({ content: 'your card', attachments: [{ filename: 'card.png', size: 4, content_type: 'image/png' }] });
    expect(e.restCalls.at(-1)!.files[0]!.data).toEqual(Buffer.from([137, 80, 78, 71]));
  });
});

describe('gateway: REQUEST_GUILD_MEMBERS', () => {
  it('answers with one GUILD_MEMBERS_CHUNK per guild: by query, by user ids (with not_found), with the nonce', async () => {
    const { e, c } = await identified();
    const guildId = e.guilds[0]!.id;
    c.send({ op: 8, d: { guild_id: guildId, query: '', limit: 0, nonce: 'all' } });
    c.send({ op: 8, d: { guild_id: guildId, query: 'ali', limit: 0, nonce: 'query' } });
    c.send({ op: 8, d: { guild_id: guildId, user_ids: [e.bot.id, '123'], nonce: 'ids' } });
    await c.until(() => c.dispatches().filter((p) => p.t === 'GUILD_MEMBERS_CHUNK').length === 3);
    const chunks = c.dispatches().filter((p) => p.t === 'GUILD_MEMBERS_CHUNK').map((p) => p.d);
    expect(chunks.map((d) => [d.nonce, d.guild_id, d.chunk_index, d.chunk_count, d.members.map((m: any) => m.user.id).sort(), d.not_found])).toEqual([
      ['all', guildId, 0, 1, [e.bot.id, e.member.id].sort(), undefined],
      ['query', guildId, 0, 1, [e.member.id], undefined],
      ['ids', guildId, 0, 1, [e.bot.id], ['123']],
    ]);
  });
});

describe('emulator over TLS', () => {
  it('serves REST (https) and the gateway (wss) with the certificate it is given, and says so in its URLs', async () => {
    const tls = await testCertificate();
    const e = await emulator({ tls });
    expect([e.apiUrl, e.gatewayUrl]).toEqual([`https://127.0.0.1:${e.port}/api`, `wss://127.0.0.1:${e.port}`]);
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(`${e.apiUrl}/v10/gateway/bot`, { ca: tls.cert }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString())).on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ url: e.gatewayUrl, shards: 1 });
    const ws = new WebSocket(`${e.gatewayUrl}?v=10&encoding=json`, { ca: tls.cert });
    const hello = await new Promise<Payload>((resolve, reject) => ws.once('message', (data) => resolve(JSON.parse(String(data)) as Payload)).once('error', reject));
    ws.close();
    expect(hello).toMatchObject({ op: 10, d: { heartbeat_interval: 41250 } });
  });
});
