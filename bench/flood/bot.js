'use strict';
// The bot of the flood benchmark: a real discord.js client whose messageCreate handler makes one
// small synchronous call (FLOOD_HANDLER=sync, the default: fs.existsSync), fs.statSync
// (FLOOD_HANDLER=stat: a call that `node --trace-sync-io` sees, which existsSync is not) or none
// (FLOOD_HANDLER=nosync: every event still a handler, nothing to report). Once FLOOD_COUNT messages arrived it prints one line:
//   done {"rate":R,"cpuUs":C,"stats":{...}}
// R: messages a second from the first message to the last; C: this process' CPU time (user +
// system, all its threads: process.cpuUsage()) over the same messages, in µs per message; stats:
// what a preload put in globalThis.__floodStats() (spans made, delays seen...: proof the tool ran).
// FLOOD_WINDOW=1 adds the flood's start and end on the monotonic clock in µs (the CPU profile's clock).
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
    rate: Math.round((expected - 1) / seconds),
    cpuUs: Number(((cpu.user + cpu.system) / (expected - 1)).toFixed(3)),
    stats: typeof globalThis.__floodStats === 'function' ? globalThis.__floodStats() : undefined,
  };
  if (process.env.FLOOD_WINDOW) result.window = [Number(firstMono / 1000n), Number(process.hrtime.bigint() / 1000n)];
  if (handler === 'nosync') result.stats = { ...result.stats, length };
  console.log(`done ${JSON.stringify(result)}`);
  if (process.env.FLOOD_EXIT) setImmediate(() => process.exit(0));
}

const handlers = {
  sync: () => {
    if (count === 0) start();
    fs.existsSync(file); // the small sync call
    if (++count === expected) finish();
  },
  stat: () => {
    if (count === 0) start();
    fs.statSync(file); // a small sync call that --trace-sync-io sees
    if (++count === expected) finish();
  },
  nosync: (message) => {
    if (count === 0) start();
    length += message.content.length; // no sync call: nothing to report
    if (++count === expected) finish();
  },
};
client.on(Events.MessageCreate, handlers[handler]);

function start() {
  first = performance.now();
  firstCpu = process.cpuUsage();
  firstMono = process.hrtime.bigint();
}

client.once(Events.ClientReady, () => console.log('ready'));
client.login('bench');
