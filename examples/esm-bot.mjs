// An ESM bot: `node --import loopguard/register examples/esm-bot.mjs`. Named imports of node:fs
// see loopguard's wrappers too.
import { readFileSync } from 'node:fs';
import { Client, Events, GatewayIntentBits } from 'discord.js';

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: process.env.DISCORD_API ? { api: process.env.DISCORD_API } : {},
});

client.on(Events.MessageCreate, async (message) => {
  if (message.author.bot || message.content !== '!motd') return;
  const motd = readFileSync(new URL('./motd.txt', import.meta.url), 'utf8'); // reported: use fs/promises
  await message.reply(motd.trim());
});

client.once(Events.ClientReady, (c) => console.log(`esm bot ready as ${c.user.tag}`));
process.on('SIGTERM', () => client.destroy().then(() => process.exit(0)));
client.login(process.env.DISCORD_TOKEN);
