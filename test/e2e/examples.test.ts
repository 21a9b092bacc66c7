import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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

describe('the TypeScript example', () => {
  const example = resolve(root, 'examples/typescript');
  const handler = resolve(example, 'src/events/messageCreate.ts');
  const line = readFileSync(handler, 'utf8').split('\n').findIndex((l) => l.includes('readFileSync(join(')) + 1;

  it.each([
    ['under tsx', resolve(example, 'src/index.ts'), { before: ['--import', 'tsx'] }],
    ['compiled by tsc, with --enable-source-maps', resolve(example, 'dist/index.js'), { before: ['--enable-source-maps'] }],
  ] as const)('runs %s and is reported at its .ts line', async (_name, script, options) => {
    if (script.endsWith('.js')) execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', example], { cwd: root });
    const { emulator, stop } = await startBot(script, { preload: '-r', before: [...options.before] });
    emulator.sendMessage('!motd');
    const [reply] = await emulator.waitForMessages(1);
    expect(reply!['content']).toContain('Welcome');
    const { reports } = await stop();
    expect(reports).toMatchObject([{ api: 'fs.readFileSync', handler: { event: 'messageCreate' }, site: { file: handler, line } }]);
  });
});
