import { RESTJSONErrorCodes, Routes, type APIGuildMember } from 'discord-api-types/v10';
import { applicationObject, everyoneRole, guildMember, guildObject, message, type MessageObject } from '../fixtures';
import { commandRoutes } from './command-routes';
import { cannotEditOthersMessage, emptyMessage, unknown, type RestResponse } from './errors';
import { interactionRoutes } from './interaction-routes';
import { applyMessageBody, isEmptyMessage, replyFields } from './messages';
import { routePattern, type RestContext, type Route, type RouteRequest } from './router';

/*
 * The REST routes the emulator serves: what a bot's start-up fetches (gateway, users, the
 * application, guilds, members, roles, channels), messages, application commands, interaction
 * responses and their webhooks. Anything else is an unknown route (see GatewayEmulator).
 */

const ok = (body: unknown): RestResponse => ({ status: 200, body });
const noContent: RestResponse = { status: 204 };

export const restRoutes: Route[] = [
  // --- gateway --------------------------------------------------------------------------------
  { method: 'GET', path: Routes.gatewayBot(), handle: (ctx) => {
    const { url, shards, maxConcurrency } = ctx.gateway();
    return ok({ url, shards, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: maxConcurrency } });
  } },
  { method: 'GET', path: Routes.gateway(), handle: (ctx) => ok({ url: ctx.gateway().url }) },

  // --- users and the application ----------------------------------------------------------------
  { method: 'GET', path: routePattern(Routes.user(':user')), handle: (ctx, { params }) => {
    const found = params['user'] === '@me' ? ctx.bot : ctx.user(params['user']!);
    return found === undefined ? unknown(RESTJSONErrorCodes.UnknownUser) : ok(found);
  } },
  { method: 'POST', path: Routes.userChannels(), handle: (ctx, { body }) => {
    const recipient = typeof body['recipient_id'] === 'string' ? ctx.user(body['recipient_id']) : undefined;
    return recipient === undefined ? unknown(RESTJSONErrorCodes.UnknownUser) : ok(ctx.dmChannel(recipient));
  } },
  { method: 'GET', path: Routes.currentApplication(), handle: (ctx) => ok(applicationObject(ctx.applicationId, ctx.bot, ctx.member)) },
  { method: 'GET', path: Routes.oauth2CurrentApplication(), handle: (ctx) => ok(applicationObject(ctx.applicationId, ctx.bot, ctx.member)) },

  // --- guilds -------------------------------------------------------------------------------------
  { method: 'GET', path: routePattern(Routes.guild(':guild')), handle: (ctx, { params, query }) => withGuild(ctx, params, (g) => ok({
    ...guildObject(g, ctx.member),
    ...(query['with_counts'] === 'true' ? { approximate_member_count: 2, approximate_presence_count: 0 } : {}),
  })) },
  { method: 'GET', path: routePattern(Routes.guildChannels(':guild')), handle: (ctx, { params }) => withGuild(ctx, params, (g) => ok(g.channels)) },
  { method: 'GET', path: routePattern(Routes.guildRoles(':guild')), handle: (ctx, { params }) => withGuild(ctx, params, (g) => ok([everyoneRole(g.id)])) },
  { method: 'GET', path: routePattern(Routes.guildRole(':guild', ':role')), handle: (ctx, { params }) => withGuild(ctx, params, (g) => (
    params['role'] === g.id ? ok(everyoneRole(g.id)) : unknown(RESTJSONErrorCodes.UnknownRole)
  )) },
  { method: 'GET', path: routePattern(Routes.guildMember(':guild', ':user')), handle: (ctx, { params }) => withGuild(ctx, params, () => {
    const id = params['user'] === '@me' ? ctx.bot.id : params['user']!;
    const member = members(ctx).find((m) => m.user.id === id);
    return member === undefined ? unknown(RESTJSONErrorCodes.UnknownMember) : ok(member);
  }) },
  { method: 'GET', path: routePattern(Routes.guildMembers(':guild')), handle: (ctx, { params, query }) => withGuild(ctx, params, () => {
    // Discord's default limit is 1; `after` pages by user id.
    const limit = clamp(Number(query['limit'] ?? 1), 1, 1000);
    const after = snowflakeParam(query['after']) ?? 0n;
    return ok(members(ctx).filter((m) => BigInt(m.user.id) > after).slice(0, limit));
  }) },

  // --- channels and messages ------------------------------------------------------------------------
  { method: 'GET', path: routePattern(Routes.channel(':channel')), handle: (ctx, { params }) => {
    const channel = ctx.channel(params['channel']!);
    return channel === undefined ? unknown(RESTJSONErrorCodes.UnknownChannel) : ok(channel);
  } },
  { method: 'GET', path: routePattern(Routes.channelMessages(':channel')), handle: (ctx, { params, query }) => withChannel(ctx, params, (channelId) => {
    const limit = clamp(Number(query['limit'] ?? 50), 1, 100);
    const before = snowflakeParam(query['before']);
    const after = snowflakeParam(query['after']);
    const list = ctx.messages.inChannel(channelId)
      .filter((m) => (before === undefined || BigInt(m.id) < before) && (after === undefined || BigInt(m.id) > after));
    return ok(list.slice(0, limit));
  }) },
  { method: 'POST', path: routePattern(Routes.channelMessages(':channel')), handle: (ctx, req) => withChannel(ctx, req.params, () => {
    const channel = ctx.channel(req.params['channel']!)!;
    if (isEmptyMessage(req.body, req.files)) return emptyMessage();
    const guildId = 'guild_id' in channel ? channel.guild_id : undefined;
    const created = message(channel, ctx.bot, '');
    Object.assign(created, replyFields(req.body['message_reference'], channel.id, guildId, ctx.messages));
    applyMessageBody(created, req.body, req.files);
    ctx.messages.add(created);
    ctx.sent(created);
    return ok(created);
  }) },
  { method: 'GET', path: routePattern(Routes.channelMessage(':channel', ':message')), handle: (ctx, { params }) => withMessage(ctx, params, ok) },
  { method: 'PATCH', path: routePattern(Routes.channelMessage(':channel', ':message')), handle: (ctx, req) => withMessage(ctx, req.params, (m) => {
    // A bot may change another's message flags (suppress embeds), nothing else.
    if (m.author.id !== ctx.bot.id && Object.keys(req.body).some((k) => k !== 'flags')) return cannotEditOthersMessage();
    applyMessageBody(m, req.body, req.files);
    m.edited_timestamp = new Date().toISOString();
    return ok(m);
  }) },
  { method: 'DELETE', path: routePattern(Routes.channelMessage(':channel', ':message')), handle: (ctx, { params }) => withMessage(ctx, params, (m) => {
    ctx.messages.delete(m.id);
    return noContent;
  }) },
  { method: 'PUT', path: routePattern(Routes.channelMessageOwnReaction(':channel', ':message', ':emoji')), handle: (ctx, { params }) => withMessage(ctx, params, () => noContent) },
  { method: 'POST', path: routePattern(Routes.channelTyping(':channel')), handle: (ctx, { params }) => withChannel(ctx, params, () => noContent) },

  ...commandRoutes,
  ...interactionRoutes,
];

function withGuild(ctx: RestContext, params: RouteRequest['params'], then: (guild: NonNullable<ReturnType<RestContext['guild']>>) => RestResponse): RestResponse {
  const guild = ctx.guild(params['guild']!);
  return guild === undefined ? unknown(RESTJSONErrorCodes.UnknownGuild) : then(guild);
}

function withChannel(ctx: RestContext, params: RouteRequest['params'], then: (channelId: string) => RestResponse): RestResponse {
  return ctx.channel(params['channel']!) === undefined ? unknown(RESTJSONErrorCodes.UnknownChannel) : then(params['channel']!);
}

function withMessage(ctx: RestContext, params: RouteRequest['params'], then: (message: MessageObject) => RestResponse): RestResponse {
  return withChannel(ctx, params, (channelId) => {
    const found = ctx.messages.get(channelId, params['message']!);
    return found === undefined ? unknown(RESTJSONErrorCodes.UnknownMessage) : then(found);
  });
}

/** The bot and the member are in every guild. */
function members(ctx: RestContext): APIGuildMember[] {
  return [ctx.bot, ctx.member].map((u) => guildMember(u, ctx.joinedAt)).sort((a, b) => (BigInt(a.user.id) < BigInt(b.user.id) ? -1 : 1));
}

function snowflakeParam(value: string | undefined): bigint | undefined {
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min;
}
