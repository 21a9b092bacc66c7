import { RESTJSONErrorCodes, Routes } from 'discord-api-types/v10';
import { commandBodyErrors, type CommandBody } from './commands';
import { invalidFormBody, unknown, type RestResponse } from './errors';
import { routePattern, type RestContext, type Route, type RouteRequest } from './router';

/*
 * Application commands, global (`/applications/:app/commands`) and per guild
 * (`/applications/:app/guilds/:guild/commands`): list, create, bulk overwrite, get, edit, delete.
 */

type Scoped = (ctx: RestContext, req: RouteRequest, guildId: string | undefined) => RestResponse;

/** Checks the application id (and the guild) before running the handler for either scope. */
function scoped(handler: Scoped): { global: Route['handle']; guild: Route['handle'] } {
  const run = (ctx: RestContext, req: RouteRequest, guildId: string | undefined): RestResponse => {
    if (req.params['application'] !== ctx.applicationId) return unknown(RESTJSONErrorCodes.UnknownApplication);
    if (guildId !== undefined && ctx.guild(guildId) === undefined) return unknown(RESTJSONErrorCodes.UnknownGuild);
    return handler(ctx, req, guildId);
  };
  return { global: (ctx, req) => run(ctx, req, undefined), guild: (ctx, req) => run(ctx, req, req.params['guild']) };
}

const list = scoped((ctx, _req, guildId) => ({ status: 200, body: ctx.commands.list(guildId) }));

// Discord answers 201 for a new command, 200 when one of that name was replaced.
const create = scoped((ctx, req, guildId) => {
  const errors = commandBodyErrors(req.raw);
  if (errors !== undefined) return invalidFormBody(errors);
  const { command, created } = ctx.commands.create(req.body, guildId);
  return { status: created ? 201 : 200, body: command };
});

const overwrite = scoped((ctx, req, guildId) => {
  if (!Array.isArray(req.raw)) return invalidFormBody({ _errors: [{ code: 'LIST_TYPE_CONVERT', message: 'Must be an array.' }] });
  const errors: Record<string, unknown> = {};
  req.raw.forEach((body: unknown, i) => {
    const e = commandBodyErrors(body);
    if (e !== undefined) errors[String(i)] = e;
  });
  if (Object.keys(errors).length > 0) return invalidFormBody(errors);
  return { status: 200, body: ctx.commands.overwrite(req.raw as CommandBody[], guildId) };
});

const get = scoped((ctx, req, guildId) => {
  const command = ctx.commands.get(req.params['command']!, guildId);
  return command === undefined ? unknown(RESTJSONErrorCodes.UnknownApplicationCommand) : { status: 200, body: command };
});

const edit = scoped((ctx, req, guildId) => {
  const command = ctx.commands.edit(req.params['command']!, req.body, guildId);
  return command === undefined ? unknown(RESTJSONErrorCodes.UnknownApplicationCommand) : { status: 200, body: command };
});

const remove = scoped((ctx, req, guildId) => (
  ctx.commands.delete(req.params['command']!, guildId) ? { status: 204 } : unknown(RESTJSONErrorCodes.UnknownApplicationCommand)
));

const globalList = routePattern(Routes.applicationCommands(':application'));
const globalOne = routePattern(Routes.applicationCommand(':application', ':command'));
const guildList = routePattern(Routes.applicationGuildCommands(':application', ':guild'));
const guildOne = routePattern(Routes.applicationGuildCommand(':application', ':guild', ':command'));

export const commandRoutes: Route[] = [
  { method: 'GET', path: globalList, handle: list.global },
  { method: 'POST', path: globalList, handle: create.global },
  { method: 'PUT', path: globalList, handle: overwrite.global },
  { method: 'GET', path: globalOne, handle: get.global },
  { method: 'PATCH', path: globalOne, handle: edit.global },
  { method: 'DELETE', path: globalOne, handle: remove.global },
  { method: 'GET', path: guildList, handle: list.guild },
  { method: 'POST', path: guildList, handle: create.guild },
  { method: 'PUT', path: guildList, handle: overwrite.guild },
  { method: 'GET', path: guildOne, handle: get.guild },
  { method: 'PATCH', path: guildOne, handle: edit.guild },
  { method: 'DELETE', path: guildOne, handle: remove.guild },
];
