'use strict';
// The bot of the flood benchmark: a real discord.js client whose messageCreate handler makes one
// small synchronous call. Prints "rate R" (messages per second) once FLOOD_COUNT messages arrived.
const fs = require('node:fs');
const { Client, Events, GatewayIntentBits } = require('discord.js');

if (process.env.FLOOD_BARE_ALS) {
  // Reference point: what a bare AsyncLocalStorage.run around each client event costs, without loopguard.
  const als = new (require('node:async_hooks').AsyncLocalStorage)();
  const emit = Client.prototype.emit;
  Client.prototype.emit = function (event, ...args) {
    return als.run({ event }, () => emit.call(this, event, ...args));
  };
}

const expected = Number(process.env.FLOOD_COUNT);
const file = __filename;
let count = 0;
let first = 0;

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: process.env.DISCORD_API },
});
client.on(Events.MessageCreate, () => {
  if (count === 0) first = performance.now();
  fs.existsSync(file); // the small sync call
  if (++count === expected) {
    const seconds = (performance.now() - first) / 1000;
    console.log(`rate ${((expected - 1) / seconds).toFixed(0)}`);
    if (process.env.FLOOD_EXIT) setImmediate(() => process.exit(0));
  }
});
client.once(Events.ClientReady, () => console.log('ready'));
client.login('bench');
