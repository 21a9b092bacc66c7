import { snowflake } from './snowflake';

/*
 * The Discord objects the emulator hands out: just the fields the real client libraries need
 * (facts in shared/notes/discord-gateway.md), with plausible values.
 */

export interface UserObject {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

export interface ChannelObject {
  id: string;
  type: number;
  name: string;
  guild_id: string;
  position: number;
  permission_overwrites: unknown[];
}

export interface GuildSpec {
  id: string;
  name: string;
  channels: ChannelObject[];
}

export function user(username: string, bot = false): UserObject {
  return { id: snowflake(), username, discriminator: '0', global_name: username, avatar: null, ...(bot ? { bot: true } : {}) };
}

export function guild(name: string, id: string = snowflake()): GuildSpec {
  return {
    id,
    name,
    channels: [{ id: snowflake(), type: 0, name: 'general', guild_id: id, position: 0, permission_overwrites: [] }],
  };
}

export function guildCreate(spec: GuildSpec, bot: UserObject, owner: UserObject): Record<string, unknown> {
  const now = new Date().toISOString();
  const role = {
    id: spec.id, name: '@everyone', permissions: '1071698660929', position: 0, color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false, managed: false, mentionable: false, flags: 0, icon: null, unicode_emoji: null,
  };
  return {
    id: spec.id, name: spec.name, icon: null, splash: null, discovery_splash: null, owner_id: owner.id,
    afk_channel_id: null, afk_timeout: 300, verification_level: 0, default_message_notifications: 0,
    explicit_content_filter: 0, roles: [role], emojis: [], stickers: [], features: [], mfa_level: 0,
    application_id: null, system_channel_id: null, system_channel_flags: 0, rules_channel_id: null,
    vanity_url_code: null, description: null, banner: null, premium_tier: 0, premium_subscription_count: 0,
    preferred_locale: 'en-US', public_updates_channel_id: null, nsfw_level: 0, premium_progress_bar_enabled: false,
    joined_at: now, large: false, unavailable: false, member_count: 2,
    members: [{ user: bot, roles: [], joined_at: now, deaf: false, mute: false, flags: 0 }],
    channels: spec.channels, threads: [], presences: [], voice_states: [], stage_instances: [],
    guild_scheduled_events: [], soundboard_sounds: [],
  };
}

export function message(channel: ChannelObject, author: UserObject, content: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: snowflake(), channel_id: channel.id, guild_id: channel.guild_id, author, content,
    timestamp: now, edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [],
    attachments: [], embeds: [], pinned: false, type: 0, flags: 0, components: [],
    member: { roles: [], joined_at: now, deaf: false, mute: false, flags: 0 },
  };
}

export interface CommandSpec {
  name: string;
  options?: { name: string; type: number; value: string | number | boolean }[];
}

export function interaction(
  applicationId: string, channel: ChannelObject, author: UserObject, command: CommandSpec,
): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: snowflake(), application_id: applicationId, type: 2, token: `token-${snowflake()}`, version: 1,
    guild_id: channel.guild_id, channel_id: channel.id, channel: { ...channel },
    member: { user: author, roles: [], permissions: '1071698660929', joined_at: now, deaf: false, mute: false, flags: 0 },
    data: { id: snowflake(), name: command.name, type: 1, ...(command.options ? { options: command.options } : {}) },
    locale: 'en-US', guild_locale: 'en-US', app_permissions: '1071698660929', entitlements: [],
    authorizing_integration_owners: { '0': channel.guild_id }, context: 0, attachment_size_limit: 8388608,
  };
}
