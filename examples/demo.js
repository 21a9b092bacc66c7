// The demo: a real discord.js bot, an offline Discord gateway, and loopguard watching the loop.
//   npm run demo
// Starts the gateway emulator, runs examples/bad-bot.js under `node -r loopguard/register`,
// sends it messages and slash commands whose handlers block, then does the same with
// examples/good-bot.js, which reports nothing. Exits by itself.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BotProcess, GatewayEmulator } = require('loopguard/testing');

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function play(title, script) {
  console.log(`\n${bold(title)}`);
  console.log(dim(`$ node -r loopguard/register examples/${path.basename(script)}`));
  const emulator = await GatewayEmulator.start();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-demo-'));
  const bot = BotProcess.start({ script, emulator, output: 'inherit', env: { BOT_DATA_DIR: dataDir } });
  try {
    await bot.waitForOutput(/ready as/);
    let replies = 0;
    for (const text of ['!points', '!points', '!version']) {
      console.log(dim(`→ alice writes "${text}"`));
      emulator.sendMessage(text);
      await emulator.waitForMessages(++replies);
      console.log(dim(`← bot: ${emulator.sentMessages.at(-1).content}`));
      await pause(50); // let loopguard's line reach the terminal first
    }
    for (const command of ['register', 'export']) {
      console.log(dim(`→ alice runs /${command}`));
      const ack = await emulator.sendCommand(command).acknowledged;
      console.log(dim(`← acknowledged after ${ack.delayMs} ms${ack.late ? ' — too late: Discord shows "The application did not respond"' : ''}`));
      await pause(50);
    }
    await emulator.waitForMessages(replies + 2);
    // The emulator answers calls it does not serve with a 404, as Discord does; the demo bots make none.
    if (emulator.unknownRoutes.length > 0) throw new Error(`unexpected REST calls: ${emulator.unknownRoutes.map((c) => `${c.method} ${c.path}`).join(', ')}`);
  } finally {
    await bot.stop();
    await emulator.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

(async () => {
  console.log(bold('loopguard demo') + ' — a real discord.js bot against an offline Discord gateway');
  await play('1. A bot with the classic blocking mistakes', path.join(__dirname, 'bad-bot.js'));
  await play('2. The same bot without blocking calls: loopguard has nothing to say', path.join(__dirname, 'good-bot.js'));
  console.log(`\n${bold('What you saw')}: each [loopguard] line names the blocking call, the handler it ran in,`);
  console.log('the line that made it and what to use instead; /export shows an interaction acknowledged too late');
  console.log('because a synchronous call ran first. At exit, a summary lists the worst call sites.');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
