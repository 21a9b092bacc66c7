'use strict';
// Throughput of a real discord.js bot receiving a flood of MESSAGE_CREATE from the emulator (in
// another process), its handler making one small sync call: with and without loopguard,
// interleaved, printed as a ratio of medians. Goal: loopguard keeps >= 0.97 of the throughput.
//   npm run bench:flood    (FLOOD_ROUNDS, FLOOD_COUNT, FLOOD_VARIANTS to change it; FLOOD_ONLY: a
//   comma-separated list of the variants to run, e.g. "with loopguard,loopguard + OTel SDK")
const { spawn } = require('node:child_process');
const path = require('node:path');

const fs = require('node:fs');

const rounds = Number(process.env.FLOOD_ROUNDS ?? 7);
const count = Number(process.env.FLOOD_COUNT ?? 20000);
const register = require.resolve('loopguard/register');
const otelSdk = path.join(__dirname, 'flood/otel-sdk.js');
const allVariants = {
  'without loopguard': { args: [], env: {} },
  'with loopguard': { args: ['-r', register], env: { LOOPGUARD_CONSOLE: 'off' } },
  // OpenTelemetry: `with loopguard` above has @opentelemetry/api installed but no SDK (LOOPGUARD_OTEL
  // auto); these record every handler and call with a real SDK, or turn OpenTelemetry off.
  'loopguard (OTel off)': { args: ['-r', register], env: { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_OTEL: 'off' } },
  'loopguard + OTel SDK': { args: ['-r', otelSdk, '-r', register], env: { LOOPGUARD_CONSOLE: 'off' } },
  'OTel SDK without loopguard': { args: ['-r', otelSdk], env: {} },
  // The stall watchdog is on by default: the same without it shows what it costs.
  'loopguard (no watchdog)': { args: ['-r', register], env: { LOOPGUARD_CONSOLE: 'off', LOOPGUARD_STALL_MS: 'off' } },
  // Reference point: the same AsyncLocalStorage.run around each event, without loopguard (what
  // any async-context tool costs on this Node).
  'bare ALS (no loopguard)': { args: [], env: { FLOOD_BARE_ALS: '1' } },
  ...(process.env.FLOOD_VARIANTS ? JSON.parse(process.env.FLOOD_VARIANTS) : {}),
};
const only = process.env.FLOOD_ONLY?.split(',').map((s) => s.trim());
const variants = only ? Object.fromEntries(only.map((name) => {
  if (!allVariants[name]) throw new Error(`FLOOD_ONLY: no variant "${name}"; variants: ${Object.keys(allVariants).join(', ')}`);
  return [name, allVariants[name]];
})) : allVariants;

/** The ratios printed at the end: [what it says, variant, baseline, goal]. */
const comparisons = [
  ['loopguard keeps {r} of the throughput', 'with loopguard', 'without loopguard', 0.97],
  ['loopguard with a recording OpenTelemetry SDK keeps {r} of loopguard\'s throughput without an SDK', 'loopguard + OTel SDK', 'with loopguard'],
  ['@opentelemetry/api installed, no SDK (LOOPGUARD_OTEL=auto): {r} of LOOPGUARD_OTEL=off', 'with loopguard', 'loopguard (OTel off)'],
  ['the stall watchdog keeps {r} of loopguard\'s throughput without it', 'with loopguard', 'loopguard (no watchdog)', 0.99],
];

// On a 2-core machine, the emulator and the bot each get a core of their own (less noise).
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => fs.existsSync(p));
const pinned = (core, args) => (taskset ? [taskset, ['-c', String(core), process.execPath, ...args]] : [process.execPath, args]);

function lines(child, onLine) {
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  });
}

function waitLine(child, pattern) {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error(`process exited before ${pattern}`));
    child.once('exit', onExit);
    lines(child, (line) => {
      const m = line.match(pattern);
      if (m) {
        child.off('exit', onExit);
        resolve(m);
      }
    });
  });
}

async function main() {
  const [emuCmd, emuArgs] = pinned(0, [path.join(__dirname, 'flood/emulator.js')]);
  const emulator = spawn(emuCmd, emuArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [, port] = await waitLine(emulator, /^port (\d+)/);
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  console.log(`discord.js flood — Node ${process.version}, ${count} messages per run, ${rounds} interleaved rounds${taskset ? ', emulator and bot pinned to separate cores' : ''}`);
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(variants).sort(() => Math.random() - 0.5);
    for (const name of order) {
      const v = variants[name];
      const [botCmd, botArgs] = pinned(1, [...v.args, path.join(__dirname, 'flood/bot.js')]);
      const bot = spawn(botCmd, botArgs, {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...v.env, DISCORD_API: `http://127.0.0.1:${port}/api`, FLOOD_COUNT: String(count) },
      });
      await waitLine(bot, /^ready/);
      const rate = waitLine(bot, /^rate (\d+)/);
      emulator.stdin.write(`flood ${count}\n`);
      const [, value] = await rate;
      samples[name].push(Number(value));
      bot.kill();
      await new Promise((resolve) => bot.once('exit', resolve));
      process.stdout.write(`  round ${r + 1}: ${name.padEnd(24)} ${value} msg/s\n`);
    }
  }
  emulator.stdin.write('quit\n');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = samples['without loopguard'] ? median(samples['without loopguard']) : undefined;
  console.log('\nmedians:');
  for (const [name, xs] of Object.entries(samples)) {
    console.log(`  ${name.padEnd(24)} ${String(median(xs)).padStart(6)} msg/s${base ? `   ratio ${(median(xs) / base).toFixed(3)}` : ''}`);
  }
  console.log('');
  for (const [text, variant, baseline, goal] of comparisons) {
    if (!samples[variant] || !samples[baseline]) continue;
    const r = median(samples[variant]) / median(samples[baseline]);
    // The same ratio within each round (the two ran minutes apart at most): its spread is the
    // noise this machine adds, against which a goal can be judged.
    const perRound = samples[variant].map((v, i) => v / samples[baseline][i]).sort((a, b) => a - b);
    const spread = `rounds: median ${median(perRound).toFixed(3)}, ${perRound[0].toFixed(3)}–${perRound.at(-1).toFixed(3)}`;
    console.log(`${text.replace('{r}', r.toFixed(3))} (${spread})${goal ? ` (goal >= ${goal}: ${r >= goal ? 'met' : 'not met'})` : ''}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
