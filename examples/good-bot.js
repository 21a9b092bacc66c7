// The same bot as bad-bot.js, written without blocking the event loop. loopguard reports nothing.
//   node -r loopguard/register examples/good-bot.js
const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { execFile } = require('node:child_process');
const { Client, Events, GatewayIntentBits, MessageFlags } = require('discord.js');

const pbkdf2 = promisify(crypto.pbkdf2);
const run = promisify(execFile);
const dataDir = process.env.BOT_DATA_DIR ?? os.tmpdir();
const dbFile = path.join(dataDir, 'points.json');

/** The "database" lives in memory; writes go to disk asynchronously, one at a time. */
const db = {};
let saving = Promise.resolve();
const save = () => (saving = saving.then(() => fsp.writeFile(dbFile, JSON.stringify(db))));

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: process.env.DISCORD_API ? { api: process.env.DISCORD_API } : {},
});

client.on(Events.MessageCreate, async (message) => {
  if (message.author.bot) return;
  if (message.content === '!points') {
    db[message.author.id] = (db[message.author.id] ?? 0) + 1;
    save();
    await message.reply(`you have ${db[message.author.id]} points`);
  } else if (message.content === '!version') {
    const version = await run('git', ['rev-parse', '--short', 'HEAD']).then((r) => r.stdout.trim(), () => 'unknown');
    await message.reply(`running ${version}`);
  }
});

client.on(Events.InteractionCreate, async (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  if (interaction.commandName === 'register') {
    const hash = await pbkdf2('hunter2', 'salt', 300_000, 64, 'sha512'); // on libuv's thread pool
    await interaction.reply({ content: `registered (${hash.toString('hex').slice(0, 8)}…)`, flags: MessageFlags.Ephemeral });
  } else if (interaction.commandName === 'export') {
    await interaction.deferReply(); // acknowledge first, then take the time it needs
    await run('sleep', ['3.2']);
    await interaction.editReply('export done');
  }
});

client.once(Events.ClientReady, (c) => console.log(`good bot ready as ${c.user.tag}`));
process.on('SIGTERM', () => client.destroy().then(() => process.exit(0)));
client.login(process.env.DISCORD_TOKEN);
