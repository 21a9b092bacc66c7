import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report } from '../../src/index';
import { afterEach, expect } from 'vitest';
import { BotProcess, GatewayEmulator, type BotExit, type EmulatorOptions } from '../../src/testing/index';

export const botFixture = (name: string): string => resolve(__dirname, '../fixtures/bots', name);

export interface RunningBot {
  emulator: GatewayEmulator;
  bot: BotProcess;
  /**
   * Stops the bot (SIGTERM) and the emulator; returns the exit and every report written. Fails
   * the test if the bot made a REST call the emulator does not serve.
   */
  stop(): Promise<BotExit & { reports: Report[] }>;
}

const register = resolve(__dirname, '../../dist/register.js');

/** Bots a failed test did not stop: killed after it, so that no process outlives its test. */
const running = new Set<RunningBot>();
afterEach(async () => {
  const left = [...running];
  running.clear();
  await Promise.all(left.map(async ({ bot, emulator }) => {
    await bot.stop('SIGKILL');
    await emulator.close();
  }));
});

/** A real bot process under loopguard (built dist/), connected to a fresh emulator and ready. */
export async function startBot(
  script: string,
  options: {
    preload?: '-r' | '--import';
    env?: NodeJS.ProcessEnv;
    emulator?: EmulatorOptions;
    /** Node arguments before and after loopguard's preload (other preloads). */
    before?: string[];
    after?: string[];
    /** Another runtime (Bun) with its own arguments, loopguard's preload among them. */
    node?: string;
    nodeArgs?: string[];
  } = {},
): Promise<RunningBot> {
  const dir = mkdtempSync(join(tmpdir(), 'loopguard-bot-'));
  const reportFile = join(dir, 'reports.jsonl');
  const emulator = await GatewayEmulator.start(options.emulator);
  const preload = options.preload ?? (script.endsWith('.mjs') ? '--import' : '-r');
  const env: NodeJS.ProcessEnv = { LOOPGUARD_REPORT_FILE: reportFile, LOOPGUARD_CONSOLE: 'off', ...options.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('VITEST')) env[key] = undefined;
  const bot = BotProcess.start({
    script,
    emulator,
    nodeArgs: options.nodeArgs ?? [...(options.before ?? []), preload, preload === '--import' ? `file://${register}` : register, ...(options.after ?? [])],
    env,
    ...(options.node === undefined ? {} : { node: options.node }),
  });
  try {
    await bot.waitForOutput(/ready/);
  } catch (error) {
    await bot.stop('SIGKILL');
    await emulator.close();
    throw error;
  }
  const started: RunningBot = {
    emulator,
    bot,
    async stop() {
      running.delete(started);
      const exit = await bot.stop();
      await emulator.close();
      const text = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      expect(emulator.unknownRoutes.map((c) => `${c.method} ${c.path}`)).toEqual([]);
      return { ...exit, reports: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report) };
    },
  };
  running.add(started);
  return started;
}
