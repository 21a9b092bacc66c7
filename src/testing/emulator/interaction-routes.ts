import {
  ApplicationCommandType, InteractionResponseType, InteractionType, MessageFlags, MessageType, RESTJSONErrorCodes, Routes,
  type APIMessageInteractionMetadata, type RESTPostAPIInteractionCallbackWithResponseResult,
} from 'discord-api-types/v10';
import { message, type MessageObject } from '../fixtures';
import { alreadyAcknowledged, invalidFormBody, unknown, type RestResponse } from './errors';
import type { InteractionRecord } from './interactions';
import { applyMessageBody } from './messages';
import { routePattern, type RestContext, type Route, type RouteRequest } from './router';

/*
 * Interaction responses (`POST /interactions/:id/:token/callback`) and the webhook routes that
 * go with them: follow-ups, and getting, editing and deleting the original response or a
 * follow-up. A deferred response is a "thinking" message (flag Loading) that the first edit fills.
 */

const ok = (body: unknown): RestResponse => ({ status: 200, body });

function callback(ctx: RestContext, req: RouteRequest): RestResponse {
  const record = ctx.interactions.get(req.params['interaction']!, req.params['token']!);
  if (record === undefined) return unknown(RESTJSONErrorCodes.UnknownInteraction);
  const type = req.body['type'];
  if (typeof type !== 'number') return invalidFormBody({ type: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } });
  if (record.response !== undefined) return alreadyAcknowledged();
  record.response = type;
  ctx.acknowledge(record.interaction.id, type);
  const data = isObject(req.body['data']) ? req.body['data'] : {};
  let shown: MessageObject | undefined;
  switch (type) {
    case InteractionResponseType.ChannelMessageWithSource:
      shown = respond(ctx, record, data, req.files);
      record.originalId = shown.id;
      ctx.sent(shown);
      break;
    case InteractionResponseType.DeferredChannelMessageWithSource:
      shown = respond(ctx, record, { flags: MessageFlags.Loading | (Number(data['flags'] ?? 0) & MessageFlags.Ephemeral) }, []);
      record.originalId = shown.id;
      break;
    case InteractionResponseType.UpdateMessage: {
      const updated = record.originalId === undefined ? undefined : ctx.messages.byIdAnywhere(record.originalId);
      if (updated === undefined) {
        // No message to update (not a component interaction): shown as a new message, so that the test sees it.
        shown = respond(ctx, record, data, req.files);
        record.originalId = shown.id;
        ctx.sent(shown);
      } else {
        applyMessageBody(updated, data, req.files);
        updated.edited_timestamp = new Date().toISOString();
        shown = updated;
      }
      break;
    }
    default: // deferred update, autocomplete result, modal, activity: no message
      break;
  }
  if (req.query['with_response'] !== 'true') return { status: 204 };
  const result: RESTPostAPIInteractionCallbackWithResponseResult = {
    interaction: {
      id: record.interaction.id, type: record.interaction.type,
      ...(shown === undefined ? {} : {
        response_message_id: shown.id,
        response_message_loading: type === InteractionResponseType.DeferredChannelMessageWithSource,
        response_message_ephemeral: ((shown.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
      }),
    },
    resource: { type, ...(shown === undefined || type === InteractionResponseType.DeferredChannelMessageWithSource ? {} : { message: shown }) },
  };
  return ok(result);
}

/** A message answering an interaction, in its channel, authored by the bot through the app's webhook. */
function respond(ctx: RestContext, record: InteractionRecord, body: Record<string, unknown>, files: RouteRequest['files']): MessageObject {
  const { interaction } = record;
  const channelId = interaction.channel?.id ?? interaction.channel_id ?? '';
  const channel = ctx.channel(channelId);
  const created = message({ id: channelId, guild_id: channel !== undefined && 'guild_id' in channel ? channel.guild_id : interaction.guild_id }, ctx.bot, '');
  const user = interaction.member?.user ?? interaction.user ?? ctx.member;
  const commandType = interaction.type === InteractionType.ApplicationCommand ? interaction.data.type : undefined;
  Object.assign(created, {
    type: commandType === ApplicationCommandType.ChatInput ? MessageType.ChatInputCommand
      : commandType === undefined ? MessageType.Default : MessageType.ContextMenuCommand,
    webhook_id: ctx.applicationId,
    application_id: ctx.applicationId,
    // The metadata's variants differ by fields the emulator has no use for (target ids).
    interaction_metadata: {
      id: interaction.id, type: interaction.type, user, authorizing_integration_owners: interaction.authorizing_integration_owners,
      ...(interaction.message === undefined ? {} : { interacted_message_id: interaction.message.id }),
    } as APIMessageInteractionMetadata,
  });
  applyMessageBody(created, body, files);
  ctx.messages.add(created);
  return created;
}

/** The interaction behind a webhook token, when the application id is the emulator's. */
function webhookInteraction(ctx: RestContext, req: RouteRequest): InteractionRecord | undefined {
  if (req.params['application'] !== ctx.applicationId) return undefined;
  return ctx.interactions.withToken(req.params['token']!);
}

/** `@original` or a follow-up's id, if it belongs to this interaction. */
function webhookMessage(ctx: RestContext, record: InteractionRecord, id: string): MessageObject | undefined {
  const messageId = id === '@original' ? record.originalId : id;
  if (messageId === undefined || (messageId !== record.originalId && !record.followUps.has(messageId))) return undefined;
  return ctx.messages.byIdAnywhere(messageId);
}

function withWebhookMessage(ctx: RestContext, req: RouteRequest, then: (m: MessageObject, record: InteractionRecord) => RestResponse): RestResponse {
  const record = webhookInteraction(ctx, req);
  if (record === undefined) return unknown(RESTJSONErrorCodes.UnknownWebhook);
  const found = webhookMessage(ctx, record, req.params['webhookMessage']!);
  return found === undefined ? unknown(RESTJSONErrorCodes.UnknownMessage) : then(found, record);
}

function followUp(ctx: RestContext, req: RouteRequest): RestResponse {
  const record = webhookInteraction(ctx, req);
  // Follow-ups need the interaction acknowledged first.
  if (record === undefined || record.response === undefined) return unknown(RESTJSONErrorCodes.UnknownWebhook);
  const created = respond(ctx, record, req.body, req.files);
  record.followUps.add(created.id);
  ctx.sent(created);
  return ok(created);
}

function editWebhookMessage(ctx: RestContext, req: RouteRequest): RestResponse {
  return withWebhookMessage(ctx, req, (m) => {
    const loading = ((m.flags ?? 0) & MessageFlags.Loading) !== 0;
    applyMessageBody(m, req.body, req.files);
    if (loading) {
      // The deferred reply's first edit is when the member sees it: counted as sent, not as edited.
      m.flags = (m.flags ?? 0) & ~MessageFlags.Loading;
      ctx.sent(m);
    } else {
      m.edited_timestamp = new Date().toISOString();
    }
    return ok(m);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const webhookMessagePath = routePattern(Routes.webhookMessage(':application', ':token', ':webhookMessage'));

export const interactionRoutes: Route[] = [
  { method: 'POST', path: routePattern(Routes.interactionCallback(':interaction', ':token')), handle: callback },
  { method: 'POST', path: routePattern(Routes.webhook(':application', ':token')), handle: followUp },
  { method: 'GET', path: webhookMessagePath, handle: (ctx, req) => withWebhookMessage(ctx, req, ok) },
  { method: 'PATCH', path: webhookMessagePath, handle: editWebhookMessage },
  { method: 'DELETE', path: webhookMessagePath, handle: (ctx, req) => withWebhookMessage(ctx, req, (m, record) => {
    ctx.messages.delete(m.id);
    if (record.originalId === m.id) delete record.originalId;
    else record.followUps.delete(m.id);
    return { status: 204 };
  }) },
];
