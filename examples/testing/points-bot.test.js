// node --test examples/testing/points-bot.test.js
// Runs the bot in this process against the gateway emulator. guardTests() makes any test fail
// whose handlers block the event loop (strict mode for each test's duration).
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const { afterEach, beforeEach, test } = require('node:test');
const { GatewayEmulator, guardTests } = require('loopguard/testing');
const { createBot } = require('./points-bot');

guardTests({ beforeEach, afterEach });

test('!points counts and replies without blocking the event loop', async () => {
  const emulator = await GatewayEmulator.start();
  const bot = createBot({ api: emulator.apiUrl, dbFile: path.join(os.tmpdir(), `points-${process.pid}.json`) });
  try {
    await bot.login('emulator-token');
    await emulator.ready();
    emulator.sendMessage('!points');
    emulator.sendMessage('!points');
    const replies = await emulator.waitForMessages(2);
    assert.deepEqual(replies.map((m) => m.content), ['you have 1 points', 'you have 2 points']);
    assert.deepEqual(emulator.unknownRoutes, []); // every REST call the bot made is one the emulator serves
  } finally {
    await bot.destroy();
    await emulator.close();
  }
});
