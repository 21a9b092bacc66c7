import { RESTJSONErrorCodes, type RESTError } from 'discord-api-types/v10';

/*
 * Error answers, with Discord's bodies. A path Discord does not serve gets its generic 404 (code 0);
 * a served path naming something that does not exist gets 404 with the resource's own code.
 */

export interface RestResponse {
  status: number;
  /** JSON body; undefined for an empty answer (204). */
  body?: unknown;
}

export const unknownRoute: RestResponse = { status: 404, body: { message: '404: Not Found', code: 0 } satisfies RESTError };

const unknownMessages = {
  [RESTJSONErrorCodes.UnknownApplication]: 'Unknown Application',
  [RESTJSONErrorCodes.UnknownChannel]: 'Unknown Channel',
  [RESTJSONErrorCodes.UnknownGuild]: 'Unknown Guild',
  [RESTJSONErrorCodes.UnknownMember]: 'Unknown Member',
  [RESTJSONErrorCodes.UnknownMessage]: 'Unknown Message',
  [RESTJSONErrorCodes.UnknownRole]: 'Unknown Role',
  [RESTJSONErrorCodes.UnknownUser]: 'Unknown User',
  [RESTJSONErrorCodes.UnknownWebhook]: 'Unknown Webhook',
  // Discord spells these two in lower case.
  [RESTJSONErrorCodes.UnknownInteraction]: 'Unknown interaction',
  [RESTJSONErrorCodes.UnknownApplicationCommand]: 'Unknown application command',
} as const;

export type UnknownResource = keyof typeof unknownMessages;

export function unknown(code: UnknownResource): RestResponse {
  return { status: 404, body: { code, message: unknownMessages[code] } satisfies RESTError };
}

export function alreadyAcknowledged(): RestResponse {
  const body: RESTError = { code: RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged, message: 'Interaction has already been acknowledged.' };
  return { status: 400, body };
}

export function cannotEditOthersMessage(): RestResponse {
  const body: RESTError = { code: RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser, message: 'Cannot edit a message authored by another user' };
  return { status: 403, body };
}

export function emptyMessage(): RestResponse {
  const body: RESTError = { code: RESTJSONErrorCodes.CannotSendAnEmptyMessage, message: 'Cannot send an empty message' };
  return { status: 400, body };
}

/** 50035 with the `errors` tree naming the fields, as Discord reports a body it rejects. */
export function invalidFormBody(errors: Record<string, unknown>): RestResponse {
  return { status: 400, body: { code: RESTJSONErrorCodes.InvalidFormBodyOrContentType, message: 'Invalid Form Body', errors } };
}
