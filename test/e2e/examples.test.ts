import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { startBot } from '../support/bot';

const root = resolve(__dirname, '../..');

it('the demo (npm run demo) shows the bad bot\'s blocking calls, a late interaction, and nothing for the good bot', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ['examples/demo.js'], { cwd: root, timeout: 60_000 }, (error, out, err) => {
      done({ code: error ? (error.code as number) : 0, stdout: out, stderr: err });
    });
  });
  expect(code).toBe(0);
  expect(stdout).toContain('bad bot ready');
  expect(stdout).toContain('good bot ready');
  expect(stdout).toMatch(/acknowledged after \d+ ms — too late/);
  for (const api of ['fs.readFileSync', 'fs.writeFileSync', 'child_process.execSync', 'crypto.pbkdf2Sync']) {
    expect(stderr).toMatch(new RegExp(`\\[loopguard\\] ${api.replace('.', '\\.')}( \\([a-z]+\\))? blocked the event loop .* in handler "(messageCreate|interactionCreate)" \\(discord\\.js\\) at examples/bad-bot\\.js:\\d+:\\d+`));
  }
  expect(stderr).toContain("later than Discord's 3 s deadline");
  expect(stderr).toContain('child_process.execSync (git) blocked'); // the program's name, never its arguments
  expect(stderr).not.toContain('rev-parse');
  expect(stderr).not.toContain('good-bot.js');
  expect(stderr.match(/\[loopguard\] summary:/g)).toHaveLength(1); // the good bot has nothing to summarize
}, 60_000);

it('the ESM example is guarded under --import', async () => {
  const { emulator, stop } = await startBot(resolve(root, 'examples/esm-bot.mjs'));
  emulator.sendMessage('!motd');
  const [reply] = await emulator.waitForMessages(1);
  expect(reply!['content']).toContain('Welcome');
  const { reports } = await stop();
  expect(reports).toMatchObject([{ api: 'fs.readFileSync', handler: { event: 'messageCreate' }, site: { file: resolve(root, 'examples/esm-bot.mjs') } }]);
});
