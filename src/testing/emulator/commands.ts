import {
  ApplicationCommandType, ApplicationIntegrationType, type APIApplicationCommand,
} from 'discord-api-types/v10';
import { snowflake } from '../snowflake';

/*
 * The application commands a bot registered, global and per guild, stored as Discord returns
 * them: an id, the application id, a version that changes with each change, the guild id for
 * guild commands, and Discord's defaults for the fields the bot left out.
 */

/** A command body as a bot sends it (POST, PATCH, each item of a PUT); checked by `commandBodyErrors`. */
export type CommandBody = Record<string, unknown>;

/** The fields a bot sets; the rest (id, application_id, guild_id, version) is the emulator's. */
const contentFields = [
  'type', 'name', 'name_localizations', 'description', 'description_localizations', 'options',
  'default_member_permissions', 'dm_permission', 'default_permission', 'nsfw', 'contexts', 'integration_types', 'handler',
] as const;

const globalScope = '';

export class CommandStore {
  /** Per scope (a guild id, or '' for global), in creation order. */
  private readonly scopes = new Map<string, Map<string, APIApplicationCommand>>();

  constructor(private readonly applicationId: string) {}

  list(guildId?: string): APIApplicationCommand[] {
    return [...this.scope(guildId).values()];
  }

  get(id: string, guildId?: string): APIApplicationCommand | undefined {
    return this.scope(guildId).get(id);
  }

  /** The command a member would run by that name: a guild command first, as Discord's picker shows. */
  find(name: string, guildId?: string): APIApplicationCommand | undefined {
    const byName = (c: APIApplicationCommand) => c.name === name && c.type === ApplicationCommandType.ChatInput;
    return (guildId === undefined ? undefined : this.list(guildId).find(byName)) ?? this.list().find(byName);
  }

  /** POST: a command with the same name and type is replaced (same id), as Discord does. */
  create(body: CommandBody, guildId?: string): { command: APIApplicationCommand; created: boolean } {
    const scope = this.scope(guildId);
    const existing = [...scope.values()].find((c) => sameCommand(c, body));
    const command = this.build(body, guildId, existing);
    scope.set(command.id, command);
    return { command, created: existing === undefined };
  }

  /** PATCH: the given fields change, the others stay. */
  edit(id: string, body: CommandBody, guildId?: string): APIApplicationCommand | undefined {
    const scope = this.scope(guildId);
    const existing = scope.get(id);
    if (existing === undefined) return undefined;
    const command = this.build({ ...content(existing), ...body }, guildId, existing);
    scope.set(id, command);
    return command;
  }

  /** PUT: the list becomes the scope's commands; matching ones (by id, else name and type) keep their id. */
  overwrite(bodies: CommandBody[], guildId?: string): APIApplicationCommand[] {
    const old = this.scope(guildId);
    const next = new Map<string, APIApplicationCommand>();
    for (const body of bodies) {
      const existing = (typeof body['id'] === 'string' ? old.get(body['id']) : undefined) ?? [...old.values()].find((c) => sameCommand(c, body));
      const command = this.build(body, guildId, existing);
      next.set(command.id, command);
    }
    this.scopes.set(guildId ?? globalScope, next);
    return [...next.values()];
  }

  delete(id: string, guildId?: string): boolean {
    return this.scope(guildId).delete(id);
  }

  private scope(guildId: string | undefined): Map<string, APIApplicationCommand> {
    const key = guildId ?? globalScope;
    let scope = this.scopes.get(key);
    if (scope === undefined) this.scopes.set(key, (scope = new Map()));
    return scope;
  }

  private build(body: CommandBody, guildId: string | undefined, existing: APIApplicationCommand | undefined): APIApplicationCommand {
    const type = (body['type'] ?? ApplicationCommandType.ChatInput) as ApplicationCommandType;
    const fields = {
      type,
      name: String(body['name']),
      name_localizations: (body['name_localizations'] ?? null) as APIApplicationCommand['name_localizations'],
      description: typeof body['description'] === 'string' ? body['description'] : '',
      description_localizations: (body['description_localizations'] ?? null) as APIApplicationCommand['description_localizations'],
      ...(Array.isArray(body['options']) && body['options'].length > 0 ? { options: body['options'] as APIApplicationCommand['options'] } : {}),
      default_member_permissions: (body['default_member_permissions'] ?? null) as string | null,
      default_permission: true,
      nsfw: body['nsfw'] === true,
      // contexts, integration_types and dm_permission exist on global commands only.
      ...(guildId === undefined ? {
        dm_permission: body['dm_permission'] !== false,
        contexts: (body['contexts'] ?? null) as APIApplicationCommand['contexts'],
        integration_types: (body['integration_types'] ?? [ApplicationIntegrationType.GuildInstall]) as ApplicationIntegrationType[],
      } : {}),
      ...(body['handler'] === undefined ? {} : { handler: body['handler'] as APIApplicationCommand['handler'] }),
    };
    // The version changes only when the command does (a bulk overwrite with the same data keeps it).
    const unchanged = existing !== undefined && JSON.stringify(content(existing)) === JSON.stringify(content(fields));
    return {
      id: existing?.id ?? snowflake(),
      application_id: this.applicationId,
      ...(guildId === undefined ? {} : { guild_id: guildId }),
      version: unchanged ? existing.version : snowflake(),
      ...fields,
    };
  }
}

/**
 * What Discord would reject with 50035 Invalid Form Body: a command needs a name, and a chat
 * input command a description. Returns the `errors` tree, or undefined when the body is valid.
 */
export function commandBodyErrors(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { _errors: [required('Expected an object.', 'DICT_TYPE_CONVERT')] };
  const errors: Record<string, unknown> = {};
  const record = body as CommandBody;
  if (typeof record['name'] !== 'string' || record['name'] === '') errors['name'] = { _errors: [required()] };
  const chatInput = (record['type'] ?? ApplicationCommandType.ChatInput) === ApplicationCommandType.ChatInput;
  if (chatInput && typeof record['description'] !== 'string') errors['description'] = { _errors: [required()] };
  return Object.keys(errors).length === 0 ? undefined : errors;
}

function required(message = 'This field is required', code = 'BASE_TYPE_REQUIRED') {
  return { code, message };
}

function sameCommand(command: APIApplicationCommand, body: CommandBody): boolean {
  return command.name === body['name'] && command.type === (body['type'] ?? ApplicationCommandType.ChatInput);
}

/** A command's own fields, in one order (so that two can be compared as JSON). */
function content(command: Partial<Pick<APIApplicationCommand, (typeof contentFields)[number]>>): CommandBody {
  const out: CommandBody = {};
  for (const field of contentFields) if (command[field] !== undefined) out[field] = command[field];
  return out;
}
