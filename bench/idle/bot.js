'use strict';
// The bot of the idle benchmark: a discord.js client that logs in to the emulator, says "ready" at
// READY, and then waits for events that never come until it is killed. Its handlers are those of
// a bot that did some work before going quiet: the ready handler makes a blocking call, so that
// loopguard has a hot site's sampling state and its clock to keep (or to stop).
const fs = require('node:fs');
const { Client, Events, GatewayIntentBits } = require('discord.js');

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: process.env.DISCORD_API },
});
client.on(Events.MessageCreate, () => {});
client.once(Events.ClientReady, () => {
  for (let i = 0; i < 100; i++) fs.existsSync(__filename);
  console.log('ready');
});
client.login('bench');
