// A bot written as a function, so that tests can run it against the gateway emulator.
const fsp = require('node:fs/promises');
const { Client, Events, GatewayIntentBits } = require('discord.js');

function createBot({ api, dbFile }) {
  // The points live in memory (loaded once); every change is written back asynchronously, in order.
  let db;
  let saving = Promise.resolve();
  const load = () => (db ??= fsp.readFile(dbFile, 'utf8').then(JSON.parse, () => ({})));

  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest: { api },
  });
  client.on(Events.MessageCreate, async (message) => {
    if (message.author.bot || message.content !== '!points') return;
    const points = await load();
    points[message.author.id] = (points[message.author.id] ?? 0) + 1;
    const mine = points[message.author.id];
    saving = saving.then(() => fsp.writeFile(dbFile, JSON.stringify(points)));
    await message.reply(`you have ${mine} points`);
  });
  return client;
}

module.exports = { createBot };
