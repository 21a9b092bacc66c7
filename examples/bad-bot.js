// A discord.js bot with the classic blocking mistakes. Run it under loopguard:
//   node -r loopguard/register examples/bad-bot.js
// (`npm run demo` runs it against the offline gateway emulator.)
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execSync } = require('node:child_process');
const { Client, Events, GatewayIntentBits, MessageFlags } = require('discord.js');

const dataDir = process.env.BOT_DATA_DIR ?? os.tmpdir();
const dbFile = path.join(dataDir, 'points.json');
fs.writeFileSync(dbFile, '{}'); // start-up: blocking here is fine, nothing else is running yet

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: process.env.DISCORD_API ? { api: process.env.DISCORD_API } : {},
});

client.on(Events.MessageCreate, async (message) => {
  if (message.author.bot) return;
  if (message.content === '!points') {
    // A JSON file as a database, read and written synchronously on every message.
    const db = JSON.parse(fs.readFileSync(dbFile, 'utf8'));
    db[message.author.id] = (db[message.author.id] ?? 0) + 1;
    fs.writeFileSync(dbFile, JSON.stringify(db));
    await message.reply(`you have ${db[message.author.id]} points`);
  } else if (message.content === '!version') {
    let version = 'unknown';
    try {
      version = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      // not a git checkout
    }
    await message.reply(`running ${version}`);
  }
});

client.on(Events.InteractionCreate, async (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  if (interaction.commandName === 'register') {
    // Hashing a password on the event loop: every other handler waits.
    const hash = crypto.pbkdf2Sync('hunter2', 'salt', 300_000, 64, 'sha512');
    await interaction.reply({ content: `registered (${hash.toString('hex').slice(0, 8)}…)`, flags: MessageFlags.Ephemeral });
  } else if (interaction.commandName === 'export') {
    // A slow synchronous job before acknowledging: Discord gives up after 3 seconds.
    execSync('sleep 3.2');
    await interaction.reply('export done');
  }
});

client.once(Events.ClientReady, (c) => console.log(`bad bot ready as ${c.user.tag}`));
process.on('SIGTERM', () => client.destroy().then(() => process.exit(0)));
client.login(process.env.DISCORD_TOKEN);
