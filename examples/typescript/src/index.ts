// A TypeScript bot under loopguard. Reports name src/events/messageCreate.ts and its line, from the
// repository root (in your bot: `npm install loopguard tsx`, the same commands on your files):
//   node --import tsx --import loopguard/register examples/typescript/src/index.ts
// or compiled by tsc (sourceMap on, as in tsconfig.json), then run with its source maps:
//   npx tsc -p examples/typescript
//   node --enable-source-maps -r loopguard/register examples/typescript/dist/index.js
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { onMessageCreate } from './events/messageCreate';

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: process.env['DISCORD_API'] ? { api: process.env['DISCORD_API'] } : {},
});

client.on(Events.MessageCreate, onMessageCreate);
client.once(Events.ClientReady, (c) => console.log(`typescript bot ready as ${c.user.tag}`));
process.on('SIGTERM', () => void client.destroy().then(() => process.exit(0)));
void client.login(process.env['DISCORD_TOKEN']);
