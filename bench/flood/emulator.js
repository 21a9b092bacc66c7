'use strict';
// The emulator in its own process for the flood and start-up benchmarks. Commands on stdin:
//   flood N  → sends N MESSAGE_CREATE as fast as the socket takes them, then prints "sent N in MS"
//   quit
const readline = require('node:readline');
const { GatewayEmulator } = require('loopguard/testing');

(async () => {
  const emulator = await GatewayEmulator.start({ dropSilentClients: false });
  console.log(`port ${emulator.port}`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(' ');
    if (cmd === 'flood') {
      await emulator.ready();
      const total = Number(arg);
      const start = performance.now();
      let sent = 0;
      // In slices, so that the socket gets to write between them.
      while (sent < total) {
        for (let i = 0; i < 500 && sent < total; i++, sent++) emulator.sendMessage(`flood ${sent}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      console.log(`sent ${total} in ${(performance.now() - start).toFixed(1)}`);
    } else if (cmd === 'quit') {
      await emulator.close();
      process.exit(0);
    }
  }
})();
