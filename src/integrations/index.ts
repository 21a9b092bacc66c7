import { discordJs } from './discord-js';
import type { Integration } from './types';

/** Every integration loopguard hooks at start-up. */
export const integrations: readonly Integration[] = [discordJs];

export type { Integration, IntegrationTarget } from './types';
