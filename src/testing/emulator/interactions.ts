import type { APIInteraction, InteractionResponseType } from 'discord-api-types/v10';

/*
 * Interactions the emulator dispatched, by id (the callback route) and by token (the webhook
 * routes for the original response and follow-ups).
 */

export interface InteractionRecord {
  readonly interaction: APIInteraction;
  /** The first callback's type; Discord takes one per interaction. */
  response?: InteractionResponseType;
  /** The message the response made or, for component interactions, the message it updates. */
  originalId?: string;
  readonly followUps: Set<string>;
}

/** Interaction tokens live 15 minutes on Discord; the emulator keeps the latest this many. */
const storeLimit = 10_000;

export class InteractionStore {
  private readonly byId = new Map<string, InteractionRecord>();
  private readonly byToken = new Map<string, InteractionRecord>();

  add(interaction: APIInteraction): void {
    const record: InteractionRecord = { interaction, followUps: new Set(), ...(interaction.message ? { originalId: interaction.message.id } : {}) };
    this.byId.set(interaction.id, record);
    this.byToken.set(interaction.token, record);
    if (this.byId.size > storeLimit) {
      const oldest = this.byId.values().next().value as InteractionRecord;
      this.byId.delete(oldest.interaction.id);
      this.byToken.delete(oldest.interaction.token);
    }
  }

  get(id: string, token: string): InteractionRecord | undefined {
    const record = this.byId.get(id);
    return record?.interaction.token === token ? record : undefined;
  }

  withToken(token: string): InteractionRecord | undefined {
    return this.byToken.get(token);
  }
}
