import { discordJs } from './discord-js';
import { discordjsCore } from './discordjs-core';
import { discordjsWs } from './discordjs-ws';
import { eris } from './eris';
import { oceanic } from './oceanic';
import { sapphire } from './sapphire';
import { seyfert } from './seyfert';
import type { Integration } from '../integration';

/** Every integration loopguard hooks at start-up: adding a library is adding a file and a line here. */
export const integrations: readonly Integration[] = [discordJs, discordjsWs, discordjsCore, eris, oceanic, sapphire, seyfert];

export type { Integration, IntegrationTarget } from '../integration';
