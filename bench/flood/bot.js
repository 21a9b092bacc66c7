'use strict';
// The bot of the flood benchmark: a real discord.js client whose messageCreate handler makes one
// small synchronous call (FLOOD_HANDLER=sync, the default: fs.existsSync), fs.statSync
// (FLOOD_HANDLER=stat: a call that `node --trace-sync-io` sees, which existsSync is not) or none
// (FLOOD_HANDLER=nosync: every event still a handler, nothing to report).
//
// Commands on stdin (bench/lib/flood-run.js): "pause" stops reading the sockets to the emulator
// (prints "paused"), so that the whole flood waits in the emulator's and the kernel's buffers;
// "go" starts the clock and reads again. The bot then handles FLOOD_COUNT messages as fast as it
// can, never waiting for the emulator, and prints one line:
//   done {"rate":R,"cpuUs":C,"stats":{...}}
// R: messages a second from "go" to the last message; C: this process' CPU time (user + system,
// all its threads: process.cpuUsage()) over the same span, in µs per message; stats: what a
// preload put in globalThis.__floodStats() (spans made, delays seen...: proof that the tool ran).
// FLOOD_WINDOW=1 adds the span on the monotonic clock in µs (the CPU profile's clock).
const fs = require('node:fs');
const net = require('node:net');
const readline = require('node:readline');

// The sockets this process connects (REST and gateway), to pause and resume them.
const sockets = new Set();
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  sockets.add(this);
  this.once('close', () => sockets.delete(this));
  return connect.apply(this, args);
};

const { Client, Events, GatewayIntentBits } = require('discord.js');

const { bareRunPerEvent, bareSpanPerEvent } = require('../lib/bare-emit');

// Reference points (bench/lib/bare-emit.js): a bare run per event, or a bare span per handled
// event with the SDK of the otel-sdk.js preload.
if (process.env.FLOOD_BARE_ALS) bareRunPerEvent(Client);
if (process.env.FLOOD_BARE_OTEL) bareSpanPerEvent(Client);

const expected = Number(process.env.FLOOD_COUNT);
const handler = process.env.FLOOD_HANDLER ?? 'sync';
if (!['sync', 'stat', 'nosync'].includes(handler)) throw new Error(`FLOOD_HANDLER: sync, stat or nosync, not ${handler}`);
const file = __filename;
let count = 0;
let first = 0;
let firstCpu;
let firstMono = 0n;
let length = 0;

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: process.env.DISCORD_API },
});

function finish() {
  const cpu = process.cpuUsage(firstCpu);
  const seconds = (performance.now() - first) / 1000;
  const result = {
    rate: Math.round(expected / seconds),
    cpuUs: Number(((cpu.user + cpu.system) / expected).toFixed(3)),
    stats: typeof globalThis.__floodStats === 'function' ? globalThis.__floodStats() : undefined,
  };
  if (process.env.FLOOD_WINDOW) result.window = [Number(firstMono / 1000n), Number(process.hrtime.bigint() / 1000n)];
  if (handler === 'nosync') result.stats = { ...result.stats, length };
  console.log(`done ${JSON.stringify(result)}`);
  if (process.env.FLOOD_EXIT) setImmediate(() => process.exit(0));
}

const handlers = {
  sync: () => {
    fs.existsSync(file); // the small sync call
    if (++count === expected) finish();
  },
  stat: () => {
    fs.statSync(file); // a small sync call that --trace-sync-io sees
    if (++count === expected) finish();
  },
  nosync: (message) => {
    length += message.content.length; // no sync call: nothing to report
    if (++count === expected) finish();
  },
};
client.on(Events.MessageCreate, handlers[handler]);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'pause') {
    for (const socket of sockets) socket.pause();
    console.log('paused');
  } else if (line === 'go') {
    if (count !== 0) console.error(`flood bot: ${count} messages came before "go"`);
    first = performance.now();
    firstCpu = process.cpuUsage();
    firstMono = process.hrtime.bigint();
    for (const socket of sockets) socket.resume();
  }
});

client.once(Events.ClientReady, () => console.log('ready'));
client.login('bench');
