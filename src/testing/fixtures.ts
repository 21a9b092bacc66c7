import {
  ApplicationCommandType, ApplicationIntegrationType, ChannelType, GuildDefaultMessageNotifications,
  GuildExplicitContentFilter, GuildMFALevel, GuildNSFWLevel, GuildPremiumTier, GuildVerificationLevel,
  InteractionContextType, InteractionType, Locale, MessageType,
  type APIApplication, type APIApplicationCommandInteractionDataBasicOption, type APIChatInputApplicationCommandGuildInteraction,
  type APIDMChannel, type APIGuild, type APIGuildMember, type APIMessage, type APIOverwrite, type APIRole,
  type APITextChannel, type APIUser, type GatewayGuildCreateDispatchData,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake';

/*
 * The Discord objects the emulator hands out: the fields the real client libraries need (facts
 * in shared/notes/discord-gateway.md), typed with discord-api-types, with plausible values.
 */

export type UserObject = APIUser;

/** A guild text channel (the only kind the emulator serves in guilds). */
export interface ChannelObject extends APITextChannel {
  guild_id: string;
  permission_overwrites: APIOverwrite[];
}

export interface GuildSpec {
  id: string;
  name: string;
  channels: ChannelObject[];
}

/** A message as the emulator keeps it: REST shape plus the gateway's guild fields. */
export type MessageObject = APIMessage & { guild_id?: string; member?: Omit<APIGuildMember, 'user'> };

/** No flag set: discord-api-types' flag enums have no 0 member, so 0 is cast once here. */
export const noFlags = 0 as never;

/** Every permission an @everyone role grants by default, and what the bot gets. */
const defaultPermissions = '1071698660929';

export function user(username: string, bot = false): UserObject {
  return { id: snowflake(), username, discriminator: '0', global_name: username, avatar: null, ...(bot ? { bot: true } : {}) };
}

export function guild(name: string, id: string = snowflake()): GuildSpec {
  return { id, name, channels: [textChannel(id, 'general')] };
}

export function textChannel(guildId: string, name: string, position = 0): ChannelObject {
  return {
    id: snowflake(), type: ChannelType.GuildText, name, guild_id: guildId, position, permission_overwrites: [],
    topic: null, nsfw: false, parent_id: null, last_message_id: null, rate_limit_per_user: 0, flags: noFlags,
  };
}

export function dmChannel(recipient: UserObject): APIDMChannel {
  return { id: snowflake(), type: ChannelType.DM, name: null, recipients: [recipient], last_message_id: null, flags: noFlags };
}

/** A guild's @everyone role: its id is the guild's. */
export function everyoneRole(guildId: string): APIRole {
  return {
    id: guildId, name: '@everyone', permissions: defaultPermissions, position: 0, color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false, managed: false, mentionable: false, flags: noFlags, icon: null, unicode_emoji: null,
  };
}

export function guildMember(member: UserObject, joinedAt: string): APIGuildMember {
  return { user: member, roles: [], joined_at: joinedAt, deaf: false, mute: false, flags: noFlags, nick: null, avatar: null, premium_since: null, pending: false };
}

/** GET /guilds/:id: the guild without the gateway-only fields (members, channels, joined_at...). */
export function guildObject(spec: GuildSpec, owner: UserObject): APIGuild {
  return {
    id: spec.id, name: spec.name, icon: null, splash: null, discovery_splash: null, owner_id: owner.id,
    afk_channel_id: null, afk_timeout: 300, verification_level: GuildVerificationLevel.None,
    default_message_notifications: GuildDefaultMessageNotifications.AllMessages,
    explicit_content_filter: GuildExplicitContentFilter.Disabled, roles: [everyoneRole(spec.id)], emojis: [], stickers: [],
    features: [], mfa_level: GuildMFALevel.None, application_id: null, system_channel_id: null, system_channel_flags: noFlags,
    rules_channel_id: null, vanity_url_code: null, description: null, banner: null, premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0, preferred_locale: Locale.EnglishUS, public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default, premium_progress_bar_enabled: false, hub_type: null,
    safety_alerts_channel_id: null, incidents_data: null, widget_enabled: false, widget_channel_id: null,
    max_members: 500000, max_video_channel_users: 25, max_stage_video_channel_users: 50,
  };
}

export function guildCreate(spec: GuildSpec, bot: UserObject, owner: UserObject, joinedAt: string): GatewayGuildCreateDispatchData {
  return {
    ...guildObject(spec, owner),
    joined_at: joinedAt, large: false, unavailable: false, member_count: 2,
    members: [guildMember(bot, joinedAt)],
    channels: spec.channels, threads: [], presences: [], voice_states: [], stage_instances: [],
    guild_scheduled_events: [], soundboard_sounds: [],
  };
}

/** GET /applications/@me: the bot's application, owned by the emulator's member. */
export function applicationObject(id: string, bot: UserObject, owner: UserObject): APIApplication {
  return {
    id, name: bot.username, icon: null, description: '', summary: '', bot_public: true, bot_require_code_grant: false,
    bot, owner, team: null, verify_key: '0'.repeat(64), flags: noFlags, flags_new: '0', redirect_uris: [],
    interactions_endpoint_url: null, role_connections_verification_url: null,
    approximate_guild_count: 1, integration_types_config: { [ApplicationIntegrationType.GuildInstall]: {} },
  };
}

/** A message in a guild channel or, without `guild_id`, a DM. */
export function message(channel: { id: string; guild_id?: string | undefined }, author: UserObject, content: string): MessageObject {
  const now = new Date().toISOString();
  const inGuild = channel.guild_id !== undefined;
  return {
    id: snowflake(), channel_id: channel.id, ...(inGuild ? { guild_id: channel.guild_id } : {}), author, content,
    timestamp: now, edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [],
    attachments: [], embeds: [], pinned: false, type: MessageType.Default, flags: noFlags, components: [],
    ...(inGuild ? { member: { roles: [], joined_at: now, deaf: false, mute: false, flags: noFlags } } : {}),
  };
}

export interface CommandSpec {
  name: string;
  options?: { name: string; type: number; value: string | number | boolean }[];
}

export function interaction(
  applicationId: string, channel: ChannelObject, author: UserObject, command: CommandSpec, commandId: string = snowflake(),
): APIChatInputApplicationCommandGuildInteraction {
  const now = new Date().toISOString();
  return {
    id: snowflake(), application_id: applicationId, type: InteractionType.ApplicationCommand, token: `token-${snowflake()}`, version: 1,
    guild_id: channel.guild_id, channel_id: channel.id, channel: { ...channel },
    member: { user: author, roles: [], permissions: defaultPermissions, joined_at: now, deaf: false, mute: false, flags: noFlags },
    data: {
      id: commandId, name: command.name, type: ApplicationCommandType.ChatInput,
      // CommandSpec is looser than the option union (any type with any value): the caller picks.
      ...(command.options ? { options: command.options as APIApplicationCommandInteractionDataBasicOption[] } : {}),
    },
    locale: Locale.EnglishUS, guild_locale: Locale.EnglishUS, app_permissions: defaultPermissions, entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: channel.guild_id },
    context: InteractionContextType.Guild, attachment_size_limit: 8388608,
  };
}
