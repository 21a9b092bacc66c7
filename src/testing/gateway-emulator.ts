import { interactionDeadlineMs } from '../discord/constants';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  GatewayCloseCodes, GatewayDispatchEvents, GatewayOpcodes,
  type APIApplication, type APIApplicationCommand, type APIChatInputApplicationCommandGuildInteraction, type APIDMChannel,
  type APIInteraction, type GatewayReadyDispatchData, type GatewayRequestGuildMembersData, type GatewayResumeData,
  type InteractionResponseType,
} from 'discord-api-types/v10';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandStore } from './emulator/commands';
import { unknownRoute, type RestResponse } from './emulator/errors';
import { InteractionStore } from './emulator/interactions';
import { MessageStore } from './emulator/messages';
import { parseRequestBody, type RestFile } from './emulator/request-body';
import { restRoutes } from './emulator/rest-routes';
import { Router, type RestContext } from './emulator/router';
import {
  dmChannel, guild, guildCreate, guildMember, interaction, message, noFlags, user,
  type ChannelObject, type CommandSpec, type GuildSpec, type MessageObject, type UserObject,
} from './fixtures';
import { shardOf, snowflake } from './snowflake';

/*
 * A local Discord server for tests and demos: the REST API a bot needs and the gateway (v10,
 * JSON, no compression) over a real WebSocket — HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats,
 * RESUME with replay, several shards; over TLS when asked. Real discord.js, @discordjs/core, Eris,
 * Oceanic.js and Seyfert clients connect to it as they would to Discord.
 */

export interface EmulatorOptions {
  /** Shards the gateway asks for (GET /gateway/bot). Default 1. */
  shards?: number;
  /** HELLO's heartbeat interval. Default 41250 ms, as Discord. */
  heartbeatIntervalMs?: number;
  /** Guilds to serve (each with a #general text channel). Default one guild. */
  guilds?: number | GuildSpec[];
  /** Delay before answering a heartbeat (to model latency). Default 0. */
  heartbeatAckDelayMs?: number;
  /** Close (4009) a connection that sent no heartbeat for 1.5 intervals, as Discord does. Default true. */
  dropSilentClients?: boolean;
  /**
   * session_start_limit.max_concurrency: how many shards may identify at once. Default 1, as for
   * most bots (discord.js then waits 5 s between shards); raise it to start sharded tests faster.
   */
  maxConcurrency?: number;
  port?: number;
  host?: string;
  /**
   * Serve REST and the gateway over TLS (https, wss) with this key and certificate, for clients
   * that speak nothing else (Seyfert's gateway socket). The client must trust the certificate
   * (NODE_EXTRA_CA_CERTS).
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RestCall {
  method: string;
  /** The route after `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  /** The query string's parameters, e.g. `{ with_response: 'false' }`. */
  query: Record<string, string>;
  /** The JSON body (for multipart, the `payload_json` part). */
  body: unknown;
  /** Files uploaded with a multipart body. */
  files: RestFile[];
  /** The status the emulator answered with. */
  status: number;
  at: number;
}

/** An interaction's first response (POST /interactions/:id/:token/callback). */
export interface Acknowledgement {
  interactionId: string;
  /** The callback type (InteractionResponseType: 4 reply, 5 deferred reply, 6 deferred update, 7 update, 9 modal), 0 if none came. */
  type: InteractionResponseType | 0;
  at: number;
  /** Time from dispatching INTERACTION_CREATE to the acknowledgement. */
  delayMs: number;
  /** Discord drops interactions not acknowledged within 3 s. */
  late: boolean;
}

export interface DispatchOptions {
  /** Which shard gets it (default: the shard of the target guild, or 0). */
  shard?: number;
}

interface Session {
  readonly shard: number;
  sessionId: string;
  seq: number;
  socket: WebSocket | undefined;
  /** Sent dispatches, kept for RESUME. */
  readonly sent: { s: number; t: string; d: unknown }[];
  lastHeartbeat: number;
}

interface Payload {
  op: GatewayOpcodes;
  d?: unknown;
  s?: number | null;
  t?: string | null;
}

const replayLimit = 1000;

export class GatewayEmulator extends EventEmitter {
  readonly bot: UserObject = user('loopguard-bot', true);
  readonly member: UserObject = user('alice');
  /** READY's application object; GET /applications/@me serves the full one. */
  readonly application: Pick<APIApplication, 'id' | 'flags'> = { id: snowflake(), flags: noFlags };
  readonly guilds: readonly GuildSpec[];
  readonly restCalls: RestCall[] = [];
  /**
   * Calls the emulator does not serve (answered 404 `{ message: '404: Not Found', code: 0 }`, as
   * Discord answers a route it does not have). A test can expect none.
   */
  readonly unknownRoutes: RestCall[] = [];
  /**
   * Messages the bot made visible through REST, in order: channel messages and replies,
   * interaction responses (a deferred one when its first edit fills it) and follow-ups. Later
   * edits change these objects in place.
   */
  readonly sentMessages: MessageObject[] = [];
  readonly acknowledgements: Acknowledgement[] = [];

  private readonly shardCount: number;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatAckDelayMs: number;
  private readonly dropSilentClients: boolean;
  private readonly maxConcurrency: number;
  /** When the bot and the member joined every guild. */
  private readonly joinedAt = new Date().toISOString();
  private readonly sessions = new Map<number, Session>();
  private readonly pendingInteractions = new Map<string, { dispatchedAt: number; resolve: (ack: Acknowledgement) => void }>();
  private readonly messages = new MessageStore();
  private readonly interactions = new InteractionStore();
  private readonly commands: CommandStore;
  private readonly dmChannels = new Map<string, APIDMChannel>();
  private readonly router = new Router(restRoutes);
  private readonly rest: RestContext;
  private readonly sockets = new Set<WebSocket>();
  private readonly http: Server;
  private readonly scheme: 'http' | 'https';
  private readonly wss: WebSocketServer;
  private silenceTimer: NodeJS.Timeout | undefined;
  private address: AddressInfo | undefined;

  private constructor(options: EmulatorOptions) {
    super();
    this.shardCount = options.shards ?? 1;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41250;
    this.heartbeatAckDelayMs = options.heartbeatAckDelayMs ?? 0;
    this.dropSilentClients = options.dropSilentClients ?? true;
    this.maxConcurrency = options.maxConcurrency ?? 1;
    const g = options.guilds ?? 1;
    // Ids one millisecond apart, so that guilds spread over the shards.
    this.guilds = typeof g === 'number' ? Array.from({ length: g }, (_, i) => guild(`guild ${i + 1}`, snowflake(Date.now() - i))) : g;
    this.commands = new CommandStore(this.application.id);
    this.rest = this.restContext();
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    this.scheme = options.tls === undefined ? 'http' : 'https';
    this.http = options.tls === undefined ? createServer(onRequest) : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest);
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (socket) => this.onConnection(socket));
  }

  /**
   * Starts a server on 127.0.0.1 (a free port unless `port` is given). `new this`: a class that names
   * itself inside is renamed in the bundle (scripts/build.js checks the public names).
   */
  static async start(options: EmulatorOptions = {}): Promise<GatewayEmulator> {
    const emulator = new this(options);
    emulator.http.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(emulator.http, 'listening');
    emulator.address = emulator.http.address() as AddressInfo;
    if (emulator.dropSilentClients) {
      emulator.silenceTimer = setInterval(() => emulator.dropSilent(), Math.min(emulator.heartbeatIntervalMs, 1000)).unref();
    }
    return emulator;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }
  /** Base URL of the server. */
  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }
  /** What discord.js takes as `rest.api` (it appends `/v10`). */
  get apiUrl(): string {
    return `${this.url}/api`;
  }
  get gatewayUrl(): string {
    return `${this.scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${this.port}`;
  }
  /** The first guild's #general. */
  get channel(): ChannelObject {
    return this.guilds[0]!.channels[0]!;
  }

  /** The application commands the bot registered: global ones, or a guild's. */
  applicationCommands(guildId?: string): APIApplicationCommand[] {
    return this.commands.list(guildId);
  }

  /** A message as it is now (after the bot's edits); undefined once deleted. */
  message(id: string): MessageObject | undefined {
    return this.messages.byIdAnywhere(id);
  }

  /** Resolves when every shard has identified and received its guilds. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const done = () => this.sessions.size === this.shardCount && [...this.sessions.values()].every((s) => s.socket !== undefined);
    if (done()) return;
    await this.waitUntil(done, 'identify', timeoutMs, 'all shards to identify');
  }

  /**
   * Sends a dispatch (op 0) to a shard; it is kept for RESUME. `t` is a GatewayDispatchEvents
   * name. Messages and interactions dispatched this way are known to the REST routes (a bot can
   * reply to, edit or delete them, and respond to the interaction).
   */
  dispatch(t: string, d: unknown, options: DispatchOptions = {}): void {
    const guildId = (d as { guild_id?: string } | null)?.guild_id;
    const shard = options.shard ?? (guildId === undefined ? 0 : shardOf(guildId, this.shardCount));
    const session = this.sessions.get(shard);
    if (session === undefined) throw new Error(`gateway emulator: shard ${shard} has not identified`);
    const record = d as { id?: unknown; token?: unknown } | null;
    if (t === GatewayDispatchEvents.MessageCreate && typeof record?.id === 'string') this.messages.add(d as MessageObject);
    if (t === GatewayDispatchEvents.InteractionCreate && typeof record?.id === 'string' && typeof record.token === 'string') {
      this.interactions.add(d as APIInteraction);
    }
    this.sendDispatch(session, t, d);
  }

  /** A member writes in a channel: MESSAGE_CREATE. Returns the message object. */
  sendMessage(content: string, options: { channel?: ChannelObject; author?: UserObject } = {}): MessageObject {
    const msg = message(options.channel ?? this.channel, options.author ?? this.member, content);
    this.dispatch(GatewayDispatchEvents.MessageCreate, msg);
    return msg;
  }

  /**
   * A member runs a slash command: INTERACTION_CREATE (with the id of the command of that name,
   * if the bot registered one). `acknowledged` resolves with the bot's first response (or with
   * `late: true` and type 0 if none came within `timeoutMs`).
   */
  sendCommand(command: string | CommandSpec, options: { channel?: ChannelObject; timeoutMs?: number } = {}): {
    interaction: APIChatInputApplicationCommandGuildInteraction; acknowledged: Promise<Acknowledgement>;
  } {
    const spec = typeof command === 'string' ? { name: command } : command;
    const channel = options.channel ?? this.channel;
    const registered = this.commands.find(spec.name, channel.guild_id);
    const data = interaction(this.application.id, channel, this.member, spec, registered?.id);
    const id = data.id;
    const dispatchedAt = Date.now();
    const acknowledged = new Promise<Acknowledgement>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingInteractions.delete(id);
        resolve({ interactionId: id, type: 0, at: Date.now(), delayMs: Date.now() - dispatchedAt, late: true });
      }, options.timeoutMs ?? 10_000);
      timer.unref();
      this.pendingInteractions.set(id, { dispatchedAt, resolve: (ack) => { clearTimeout(timer); resolve(ack); } });
    });
    this.dispatch(GatewayDispatchEvents.InteractionCreate, data);
    return { interaction: data, acknowledged };
  }

  /** Resolves with the first REST call that matches (already made, or the next one). */
  async waitForRest(match: (call: RestCall) => boolean, timeoutMs = 10_000): Promise<RestCall> {
    const found = () => this.restCalls.find(match);
    await this.waitUntil(() => found() !== undefined, 'rest', timeoutMs, 'a matching REST call');
    return found() as RestCall;
  }

  /** Resolves when the bot has created `count` messages in total. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<MessageObject[]> {
    await this.waitUntil(() => this.sentMessages.length >= count, 'rest', timeoutMs, `${count} messages from the bot`);
    return this.sentMessages.slice(0, count);
  }

  /** Closes a shard's connection as Discord does on a failover; the client resumes. */
  disconnect(shard = 0, code: number = GatewayCloseCodes.UnknownError): void {
    this.sessions.get(shard)?.socket?.close(code, 'emulated disconnect');
  }

  async close(): Promise<void> {
    if (this.silenceTimer !== undefined) clearInterval(this.silenceTimer);
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // --- gateway ---------------------------------------------------------------------------------

  private onConnection(socket: WebSocket): void {
    this.sockets.add(socket);
    let session: Session | undefined;
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (session !== undefined && session.socket === socket) session.socket = undefined;
    });
    socket.on('message', (raw) => {
      let payload: Payload;
      try {
        payload = JSON.parse(String(raw)) as Payload;
      } catch {
        socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          if (session !== undefined) session.lastHeartbeat = Date.now();
          this.emit('heartbeat', session?.shard);
          setTimeout(() => this.send(socket, { op: GatewayOpcodes.HeartbeatAck }), this.heartbeatAckDelayMs);
          break;
        case GatewayOpcodes.Identify:
          session = this.identify(socket, payload.d as { shard?: [number, number] });
          break;
        case GatewayOpcodes.Resume:
          session = this.resume(socket, payload.d as GatewayResumeData);
          break;
        case GatewayOpcodes.RequestGuildMembers:
          if (session !== undefined) this.sendMembers(session, payload.d as GatewayRequestGuildMembersData);
          break;
        default: // presence and voice state updates: accepted silently
          break;
      }
    });
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.heartbeatIntervalMs } });
  }

  private identify(socket: WebSocket, d: { shard?: [number, number] }): Session {
    const shard = d.shard?.[0] ?? 0;
    const session: Session = { shard, sessionId: snowflake(), seq: 0, socket, sent: [], lastHeartbeat: Date.now() };
    this.sessions.get(shard)?.socket?.close(GatewayCloseCodes.UnknownError, 'new session');
    this.sessions.set(shard, session);
    const own = this.guilds.filter((g) => shardOf(g.id, this.shardCount) === shard);
    const ready: GatewayReadyDispatchData & Record<string, unknown> = {
      v: 10,
      user: { ...this.bot, verified: true, mfa_enabled: false, flags: noFlags },
      guilds: own.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.sessionId,
      resume_gateway_url: this.gatewayUrl,
      shard: [shard, this.shardCount],
      application: { ...this.application, flags_new: String(this.application.flags) },
      // What Discord sends a bot besides the typed fields.
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      user_settings: {},
    };
    this.sendDispatch(session, GatewayDispatchEvents.Ready, ready);
    for (const g of own) this.sendDispatch(session, GatewayDispatchEvents.GuildCreate, guildCreate(g, this.bot, this.member, this.joinedAt));
    this.emit('identify', shard);
    return session;
  }

  private resume(socket: WebSocket, d: GatewayResumeData): Session | undefined {
    const session = [...this.sessions.values()].find((s) => s.sessionId === d.session_id);
    if (session === undefined) {
      this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false }); // not resumable: identify again
      return undefined;
    }
    session.socket = socket;
    session.lastHeartbeat = Date.now();
    for (const missed of session.sent.filter((p) => p.s > d.seq)) this.send(socket, { op: GatewayOpcodes.Dispatch, ...missed });
    this.sendDispatch(session, GatewayDispatchEvents.Resumed, {});
    this.emit('resume', session.shard);
    return session;
  }

  /** REQUEST_GUILD_MEMBERS: one GUILD_MEMBERS_CHUNK per guild (the bot and the member are in each). */
  private sendMembers(session: Session, d: GatewayRequestGuildMembersData): void {
    const guildIds: string[] = ([] as string[]).concat(d.guild_id);
    const all = [this.bot, this.member];
    let wanted: UserObject[];
    let notFound: string[] = [];
    if ('user_ids' in d && d.user_ids !== undefined) {
      const ids = ([] as string[]).concat(d.user_ids);
      wanted = all.filter((u) => ids.includes(u.id));
      notFound = ids.filter((id) => !all.some((u) => u.id === id));
    } else {
      const query = 'query' in d ? d.query.toLowerCase() : '';
      const limit = 'limit' in d && d.limit > 0 ? d.limit : all.length;
      wanted = all.filter((u) => u.username.toLowerCase().startsWith(query)).slice(0, limit);
    }
    for (const guildId of guildIds.filter((id) => this.guilds.some((g) => g.id === id))) {
      this.sendDispatch(session, GatewayDispatchEvents.GuildMembersChunk, {
        guild_id: guildId, members: wanted.map((u) => guildMember(u, this.joinedAt)), chunk_index: 0, chunk_count: 1,
        ...(notFound.length > 0 ? { not_found: notFound } : {}),
        ...(d.presences === true ? { presences: [] } : {}),
        ...(d.nonce === undefined ? {} : { nonce: d.nonce }),
      });
    }
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    const s = ++session.seq;
    session.sent.push({ s, t, d });
    if (session.sent.length > replayLimit) session.sent.shift();
    if (session.socket !== undefined) this.send(session.socket, { op: GatewayOpcodes.Dispatch, s, t, d });
  }

  private send(socket: WebSocket, payload: Payload): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }

  private dropSilent(): void {
    const limit = this.heartbeatIntervalMs * 1.5;
    for (const session of this.sessions.values()) {
      if (session.socket !== undefined && Date.now() - session.lastHeartbeat > limit) {
        session.socket.close(GatewayCloseCodes.SessionTimedOut, 'Session timed out');
      }
    }
  }

  private waitUntil(done: () => boolean, event: string, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`gateway emulator: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off(event, check);
      };
      this.on(event, check);
      check();
    });
  }

  // --- REST --------------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.answer(req, Buffer.concat(chunks))
        .catch((error: unknown): RestResponse => ({ status: 500, body: { message: `emulator error: ${String(error)}`, code: 0 } }))
        .then(({ status, body }) => {
          // No content type on an empty answer: discord.js would parse it as JSON.
          if (body === undefined) res.writeHead(status).end();
          else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        });
    });
  }

  private async answer(req: IncomingMessage, raw: Buffer): Promise<RestResponse> {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname).replace(/^\/api(\/v\d+)?/, '');
    const { body, files } = await parseRequestBody(req.headers['content-type'], raw);
    const call: RestCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body, files, status: 0, at: Date.now() };
    const found = this.router.match(call.method, path);
    let response: RestResponse;
    if (found === undefined) {
      response = unknownRoute;
    } else {
      const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      try {
        response = found.route.handle(this.rest, { params: found.params, body: object, raw: body, files, query: call.query });
      } catch (error) {
        response = { status: 500, body: { message: `emulator error: ${(error as Error).message}`, code: 0 } };
      }
    }
    call.status = response.status;
    this.restCalls.push(call);
    if (found === undefined) this.unknownRoutes.push(call);
    this.emit('rest', call);
    return response;
  }

  private restContext(): RestContext {
    const channels = (): (ChannelObject | APIDMChannel)[] => [...this.guilds.flatMap((g) => g.channels), ...this.dmChannels.values()];
    return {
      bot: this.bot,
      member: this.member,
      applicationId: this.application.id,
      gateway: () => ({ url: this.gatewayUrl, shards: this.shardCount, maxConcurrency: this.maxConcurrency }),
      joinedAt: this.joinedAt,
      messages: this.messages,
      interactions: this.interactions,
      commands: this.commands,
      guild: (id) => this.guilds.find((g) => g.id === id),
      channel: (id) => channels().find((c) => c.id === id),
      dmChannel: (recipient) => {
        let dm = this.dmChannels.get(recipient.id);
        if (dm === undefined) this.dmChannels.set(recipient.id, (dm = dmChannel(recipient)));
        return dm;
      },
      user: (id) => [this.bot, this.member].find((u) => u.id === id),
      sent: (msg) => this.sentMessages.push(msg),
      acknowledge: (id, type) => this.acknowledge(id, type),
    };
  }

  private acknowledge(interactionId: string, type: InteractionResponseType): void {
    const pending = this.pendingInteractions.get(interactionId);
    if (pending === undefined) return;
    this.pendingInteractions.delete(interactionId);
    const at = Date.now();
    const ack: Acknowledgement = { interactionId, type, at, delayMs: at - pending.dispatchedAt, late: at - pending.dispatchedAt > interactionDeadlineMs };
    this.acknowledgements.push(ack);
    this.emit('ack', ack);
    pending.resolve(ack);
  }
}
