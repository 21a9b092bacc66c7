import type { APIDMChannel, InteractionResponseType } from 'discord-api-types/v10';
import type { ChannelObject, GuildSpec, MessageObject, UserObject } from '../fixtures';
import type { CommandStore } from './commands';
import type { RestResponse } from './errors';
import type { InteractionStore } from './interactions';
import type { MessageStore } from './messages';
import type { RestFile } from './request-body';

/*
 * The REST routes' plumbing: what a handler sees of the emulator, and path patterns like
 * `/channels/:channel/messages/:message` (written with discord-api-types' Routes) made into
 * regular expressions once.
 */

/** What the route handlers read and change. */
export interface RestContext {
  readonly bot: UserObject;
  readonly member: UserObject;
  readonly applicationId: string;
  /** GET /gateway/bot's answer (the URL is known once the server listens). */
  gateway(): { url: string; shards: number; maxConcurrency: number };
  /** When the bot and the member joined every guild. */
  readonly joinedAt: string;
  readonly messages: MessageStore;
  readonly interactions: InteractionStore;
  readonly commands: CommandStore;
  guild(id: string): GuildSpec | undefined;
  channel(id: string): ChannelObject | APIDMChannel | undefined;
  /** The DM channel with a user (made on first use). */
  dmChannel(user: UserObject): APIDMChannel;
  /** The bot, the member, or undefined. */
  user(id: string): UserObject | undefined;
  /** Records a message the bot made visible (`sentMessages`). */
  sent(message: MessageObject): void;
  acknowledge(interactionId: string, type: InteractionResponseType): void;
}

export interface RouteRequest {
  params: Record<string, string>;
  /** The JSON body when it is an object, else {} (see `raw`). */
  body: Record<string, unknown>;
  raw: unknown;
  files: RestFile[];
  query: Record<string, string>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route path from discord-api-types' Routes called with `:name` arguments (it encodes them). */
export const routePattern = (route: string): string => decodeURIComponent(route);

export interface Route {
  method: Method;
  /** A path with `:name` parameters, e.g. from `Routes.channelMessage(':channel', ':message')`. */
  path: string;
  handle(ctx: RestContext, req: RouteRequest): RestResponse;
}

/**
 * What a parameter matches: ids are snowflakes (so `/channels/undefined` is an unknown route, as
 * a bot bug should show), users may be `@me`, webhook messages `@original`.
 */
const paramPatterns: Record<string, string> = {
  token: '[^/]+',
  emoji: '[^/]+',
  user: '\\d+|@me',
  webhookMessage: '\\d+|@original',
};

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return `(${paramPatterns[name] ?? '\\d+'})`;
      });
      return { ...route, regex: new RegExp(`^${source}$`), names };
    });
  }

  /** The handler and its parameters, or undefined for a call the emulator does not serve. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (m === null) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = m[i + 1] as string));
      return { route, params };
    }
    return undefined;
  }
}
