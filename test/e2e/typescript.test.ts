import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockingCallReport } from '../../src/index';
import { botFixture, startBot } from '../support/bot';
import { lineOf, root } from '../support/run-node';
import { columnOf, swcNodeRegister } from '../support/tools';

/*
 * A TypeScript discord.js bot under every way of running TypeScript, against the emulator: its
 * reports, JSON lines and strict mode's error name the .ts file, line and column, never the
 * JavaScript that ran.
 */

const dir = botFixture('ts-bot');
const source = resolve(dir, 'src/bot.ts');
const compiled = resolve(dir, 'dist/bot.js');
const tsx = resolve(root, 'node_modules/tsx/dist/cli.mjs');
const read = { file: source, line: lineOf(source, 'read'), column: columnOf(source, lineOf(source, 'read'), 'readFileSync') };
const stat = { file: source, line: lineOf(source, 'stat'), column: columnOf(source, lineOf(source, 'stat'), 'statSync') };
const at = (p: { file: string; line: number; column: number }): string => `${p.file}:${p.line}:${p.column}`;

// Node's type stripping: on by default from Node 22.18 and 23.6 (Node 20 has none).
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const stripsTypes = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);

interface Runner {
  name: string;
  script: string;
  preload: '-r' | '--import';
  before?: () => string[];
  after?: string[];
  env?: NodeJS.ProcessEnv;
  skip?: boolean;
}

const runners: Runner[] = [
  { name: 'node --import tsx --import loopguard/register', script: source, preload: '--import', before: () => ['--import', 'tsx'] },
  { name: 'node --import loopguard/register --import tsx', script: source, preload: '--import', after: ['--import', 'tsx'] },
  { name: 'tsx --import loopguard/register (the tsx command)', script: source, preload: '--import', before: () => [tsx] },
  // ts-node needs TypeScript's JS API: the repo's TypeScript 7 has none, its TypeScript 5 (typescript5) has.
  { name: 'node -r ts-node/register -r loopguard/register', script: source, preload: '-r', before: () => ['-r', 'ts-node/register'], env: { TS_NODE_COMPILER: 'typescript5' } },
  { name: 'node -r @swc-node/register -r loopguard/register', script: source, preload: '-r', before: () => ['-r', swcNodeRegister()] },
  { name: 'node -r loopguard/register (Node\'s type stripping)', script: source, preload: '-r', skip: !stripsTypes },
  { name: 'tsc, then node --enable-source-maps -r loopguard/register', script: compiled, preload: '-r', before: () => ['--enable-source-maps'] },
  { name: 'tsc, then node -r loopguard/register (the .map files only)', script: compiled, preload: '-r' },
];

beforeAll(() => {
  // The repo's TypeScript 7 compiles the bot as the README says: `tsc` with sourceMap on.
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: root, stdio: 'pipe' });
}, 60_000);

const blocking = (reports: { type: string }[]) => reports.filter((r): r is BlockingCallReport => r.type === 'blocking-call');

describe.each(runners)('$name', (runner) => {
  const options = (env: NodeJS.ProcessEnv) => ({
    preload: runner.preload,
    before: runner.before?.() ?? [],
    after: runner.after ?? [],
    env: { ...runner.env, ...env },
  });

  it.skipIf(runner.skip)('reports the blocking call at its .ts line and column, in the report and its stack', async () => {
    const { emulator, stop } = await startBot(runner.script, options({}));
    emulator.sendMessage('!read');
    await emulator.waitForMessages(1);
    const { reports, code } = await stop();
    expect(code).toBe(0);
    const found = blocking(reports);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ api: 'fs.readFileSync', handler: { source: 'discord.js', event: 'messageCreate' }, site: read });
    expect(found[0]!.stack.split('\n')[0]).toBe(`    at readSettings (${at(read)})`);
  });

  it.skipIf(runner.skip)('strict mode: the error\'s message, its stack and the report name the same .ts line', async () => {
    const { emulator, bot, stop } = await startBot(runner.script, options({ LOOPGUARD_MODE: 'strict' }));
    emulator.sendMessage('!stat');
    await emulator.waitForMessages(1);
    await bot.waitForOutput(/caught .*\n/);
    const { reports, stdout } = await stop();
    const caught = JSON.parse(/caught (.*)\n/.exec(stdout)![1]!) as { message: string; stack: string };
    expect(caught.message).toContain(` at ${at(stat)}. `);
    const frames = caught.stack.split('\n').filter((l) => l.startsWith('    at '));
    expect(frames[0]).toMatch(new RegExp(`^    at (onMessage \\()?${at(stat).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)?$`));
    expect(caught.stack).not.toContain(resolve(dir, 'dist')); // not the bot's JavaScript
    expect(caught.stack).not.toContain(resolve(root, 'dist')); // nor loopguard's frames
    expect(caught.stack).not.toContain(resolve(root, 'src'));
    expect(blocking(reports)).toMatchObject([{ api: 'fs.statSync', outcome: 'thrown', site: stat }]);
  });
});
