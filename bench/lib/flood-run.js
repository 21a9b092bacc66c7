'use strict';
// One run of the flood bot (bench/flood/bot.js) against the emulator: the bot stops reading, the
// emulator sends the whole flood, then the bot is let go and handles it as fast as it can — its
// throughput and CPU time per message do not depend on how fast the emulator (on a shared core)
// sends, nor on how the messages were batched on the way.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { exited, pinned, waitLine } = require('./common');

const bot = path.join(__dirname, '..', 'flood', 'bot.js');

/**
 * Runs the bot on `node` (pinned to core 1) with `nodeArgs` and `env`, floods it with `count`
 * messages; stderr goes to `stderrFile` (undefined: discarded). With FLOOD_EXIT in `env`, waits
 * for the bot to exit by itself, else kills it. Resolves with the bot's result
 * ({ rate, cpuUs, stats, window? }) and `sentMs`, the emulator's time to send the flood.
 */
async function floodOnce({ node, emulator, nodeArgs, env, count, stderrFile, timeoutMs = 180_000 }) {
  const stderr = stderrFile ? fs.openSync(stderrFile, 'w') : 'ignore';
  const [cmd, args] = pinned(1, node.bin, [...nodeArgs, bot]);
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', stderr],
    env: { ...process.env, ...env, DISCORD_API: `http://127.0.0.1:${emulator.port}/api`, FLOOD_COUNT: String(count) },
  });
  if (typeof stderr === 'number') fs.closeSync(stderr);
  let timer;
  try {
    await waitLine(child, /^ready$/, 'ready');
    const paused = waitLine(child, /^paused$/, 'paused');
    child.stdin.write('pause\n');
    await paused;
    const sent = waitLine(emulator.child, /^sent \d+ in ([\d.]+)/, 'sent');
    emulator.child.stdin.write(`flood ${count}\n`);
    const [, sentMs] = await sent;
    const done = waitLine(child, /^done (.*)$/, 'its result');
    child.stdin.write('go\n');
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no result after ${timeoutMs / 1000} s`)), timeoutMs); });
    done.catch(() => {}); // awaited in the race; rejects unheard if the timeout wins
    const [, json] = await Promise.race([done, timeout]);
    // With FLOOD_EXIT the bot exits by itself (a --cpu-prof profile is written at exit).
    if (env.FLOOD_EXIT) await Promise.race([exited(child), timeout]);
    return { ...JSON.parse(json), sentMs: Number(sentMs) };
  } finally {
    clearTimeout(timer);
    child.kill();
    await exited(child);
  }
}

module.exports = { floodOnce };
