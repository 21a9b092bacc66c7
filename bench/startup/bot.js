'use strict';
// The bot of the start-up benchmark: a discord.js client that logs in to the emulator, prints
// "ready after <ms> ms" at READY (ClientReady; the time since the process started, read in it),
// then, STARTUP_IDLE_MS later (idle: no event comes), prints
//   idle {"rss":B,"heapUsed":B}
// and exits.
const { Client, Events, GatewayIntentBits } = require('discord.js');

const idleMs = Number(process.env.STARTUP_IDLE_MS ?? 3000);
const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: process.env.DISCORD_API },
});
client.on(Events.MessageCreate, () => {});
client.once(Events.ClientReady, () => {
  console.log(`ready after ${performance.now()} ms`);
  setTimeout(() => {
    const { rss, heapUsed } = process.memoryUsage();
    console.log(`idle ${JSON.stringify({ rss, heapUsed })}`);
    client.destroy().finally(() => process.exit(0));
  }, idleMs);
});
client.login('bench');
