import { MessageFlags, MessageReferenceType, MessageType, type APIAttachment, type APIEmbed } from 'discord-api-types/v10';
import type { MessageObject } from '../fixtures';
import { snowflake } from '../snowflake';
import type { RestFile } from './request-body';

/*
 * Messages in the emulator's channels (the members' and the bot's), so that a bot can fetch,
 * edit, delete and reply to them, and what a create or edit body does to a message.
 */

/** Kept per emulator; the oldest are forgotten past this, so a flood test does not grow without end. */
const storeLimit = 10_000;

export class MessageStore {
  private readonly byId = new Map<string, MessageObject>();

  add(message: MessageObject): void {
    this.byId.set(message.id, message);
    if (this.byId.size > storeLimit) this.byId.delete(this.byId.keys().next().value as string);
  }

  /** The message, if it is in that channel (Discord scopes message ids by channel). */
  get(channelId: string, id: string): MessageObject | undefined {
    const message = this.byId.get(id);
    return message?.channel_id === channelId ? message : undefined;
  }

  byIdAnywhere(id: string): MessageObject | undefined {
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  /** A channel's messages, newest first, as GET /channels/:id/messages lists them. */
  inChannel(channelId: string): MessageObject[] {
    return [...this.byId.values()].filter((m) => m.channel_id === channelId).reverse();
  }
}

/** Discord refuses a message with nothing in it (50006). */
export function isEmptyMessage(body: Record<string, unknown>, files: RestFile[]): boolean {
  const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '');
  return files.length === 0 && !['content', 'embeds', 'components', 'sticker_ids', 'poll'].some((k) => nonEmpty(body[k]));
}

/**
 * Applies a create or edit body: only the fields it names change (an edit without `embeds` keeps
 * them). Uploaded files become attachments; on an edit, a given `attachments` list is the set of
 * old attachments to keep.
 */
export function applyMessageBody(message: MessageObject, body: Record<string, unknown>, files: RestFile[]): void {
  if (typeof body['content'] === 'string') message.content = body['content'];
  if (Array.isArray(body['embeds'])) message.embeds = (body['embeds'] as APIEmbed[]).map((e) => ({ type: 'rich', ...e }) as APIEmbed);
  if (Array.isArray(body['components'])) message.components = body['components'] as MessageObject['components'];
  if (typeof body['tts'] === 'boolean') message.tts = body['tts'];
  // Whether a message is ephemeral is set when it is made; an edit cannot change it.
  if (typeof body['flags'] === 'number') message.flags = ((message.flags ?? 0) & MessageFlags.Ephemeral) | body['flags'];
  const listed = Array.isArray(body['attachments']) ? (body['attachments'] as { id?: unknown; filename?: unknown; description?: unknown }[]) : undefined;
  const kept = listed === undefined ? message.attachments : message.attachments.filter((a) => listed.some((l) => String(l.id) === a.id));
  message.attachments = [...kept, ...files.map((file) => attachment(message.channel_id, file, listed))];
}

/** A reply's reference and the message it quotes (null when that one is unknown). */
export function replyFields(reference: unknown, channelId: string, guildId: string | undefined, store: MessageStore): Partial<MessageObject> {
  const ref = reference as { message_id?: unknown; channel_id?: unknown } | undefined;
  if (typeof ref?.message_id !== 'string') return {};
  const refChannel = typeof ref.channel_id === 'string' ? ref.channel_id : channelId;
  return {
    type: MessageType.Reply,
    message_reference: { type: MessageReferenceType.Default, message_id: ref.message_id, channel_id: refChannel, ...(guildId === undefined ? {} : { guild_id: guildId }) },
    referenced_message: store.get(refChannel, ref.message_id) ?? null,
  };
}

function attachment(channelId: string, file: RestFile, listed: { id?: unknown; filename?: unknown; description?: unknown }[] | undefined): APIAttachment {
  // `files[n]` is described by the attachments entry whose id is n.
  const index = /^files\[(\d+)\]$/.exec(file.field)?.[1];
  const described = listed?.find((l) => index !== undefined && String(l.id) === index);
  const filename = typeof described?.filename === 'string' ? described.filename : file.filename;
  const id = snowflake();
  const url = `https://cdn.discordapp.com/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
  return {
    id, filename, size: file.data.length, url, proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
    ...(file.contentType === '' ? {} : { content_type: file.contentType }),
    ...(typeof described?.description === 'string' ? { description: described.description } : {}),
  };
}
