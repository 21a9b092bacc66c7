'use strict';
// The workload of bench:instructions:events: a real discord.js client handles gateway packets as
// its WebSocket manager hands them over, without a network (what the flood's bot does per message,
// minus the socket and the emulator): one GUILD_CREATE, then EVENTS_COUNT MESSAGE_CREATE packets,
// each parsed from its JSON text as the gateway's are, whose messageCreate handler makes one small
// synchronous call (EVENTS_HANDLER=sync: fs.existsSync) or none (nosync). EVENTS_WARM packets
// first, so that what is counted is the steady state. The payloads come from EVENTS_PAYLOADS (a
// JSON file: the emulator's own guild and message objects).
const fs = require('node:fs');
const { Client, Events, GatewayIntentBits, Status, WebSocketShard } = require('discord.js');

if (process.env.FLOOD_BARE_ALS) require('../flood/bare-als').patchBareAls(Client);

const { bot, guild, message } = JSON.parse(fs.readFileSync(process.env.EVENTS_PAYLOADS, 'utf8'));
const count = Number(process.env.EVENTS_COUNT) + Number(process.env.EVENTS_WARM ?? 30000);
const sync = (process.env.EVENTS_HANDLER ?? 'sync') === 'sync';
const file = __filename;
let handled = 0;
let length = 0;

const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent] });
client.on(Events.MessageCreate, (m) => {
  if (sync) fs.existsSync(file);
  else length += m.content.length;
  handled++;
});
const ws = client.ws;
// As after READY: packets are handled, not queued.
ws.status = Status.Ready;
const shard = new WebSocketShard(ws, 0);
const ready = { v: 10, user: bot, guilds: [], session_id: 'bench', resume_gateway_url: 'ws://127.0.0.1', application: { id: bot.id, flags: 0 } };
// What the shard does with READY as it comes off its socket, then the client's handler.
shard.onReadyPacket(ready);
ws.handlePacket({ op: 0, s: 1, t: 'READY', d: ready }, shard);
ws.handlePacket({ op: 0, s: 2, t: 'GUILD_CREATE', d: guild }, shard);
// Each message a new one (discord.js drops a message it has already), as the gateway sends them.
const [before, after] = JSON.stringify({ op: 0, s: 3, t: 'MESSAGE_CREATE', d: { ...message, id: '@' } }).split('"@"');
const firstId = BigInt(message.id);
for (let i = 0; i < count; i++) ws.handlePacket(JSON.parse(`${before}"${firstId + BigInt(i)}"${after}`), shard);
if (handled !== count) throw new Error(`bench/events/packets.js: ${handled} of ${count} messages reached the handler`);
