import { spawn, type ChildProcess } from 'node:child_process';
import { builtFile } from '../core/own-files';
import type { GatewayEmulator } from './gateway-emulator';

export interface BotProcessOptions {
  /** The bot's entry file. */
  script: string;
  /** The emulator the bot connects to (DISCORD_API, DISCORD_GATEWAY and DISCORD_TOKEN are set for it). */
  emulator: GatewayEmulator;
  /** Node flags before the script. Default: loopguard's preload (`-r`, or `--import` for .mjs). */
  nodeArgs?: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `inherit` shows the bot's output in this terminal (the demo); `pipe` collects it (tests). */
  output?: 'pipe' | 'inherit';
  /** The Node binary (default: this one). */
  node?: string;
}

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** loopguard's preload, resolved to a path so that it works from any working directory. */
export function preloadArgs(script: string): string[] {
  const register = builtFile('register.js');
  return script.endsWith('.mjs') ? ['--import', `file://${register}`] : ['-r', register];
}

/**
 * A bot in its own Node process, pointed at the emulator: how a test (or the demo) runs a real
 * bot under loopguard. The bot reads DISCORD_API for discord.js' `rest.api` and DISCORD_TOKEN.
 */
export class BotProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<BotExit>;

  private constructor(options: BotProcessOptions) {
    const output = options.output ?? 'pipe';
    this.child = spawn(options.node ?? process.execPath, [...(options.nodeArgs ?? preloadArgs(options.script)), options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: {
        ...process.env, DISCORD_API: options.emulator.apiUrl, DISCORD_GATEWAY: options.emulator.gatewayUrl,
        DISCORD_TOKEN: 'emulator-token', ...options.env,
      },
      stdio: ['ignore', 'pipe', output],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      if (output === 'inherit') process.stdout.write(chunk);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        // Let the pipes drain before handing over the output.
        setImmediate(() => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
      });
    });
  }

  /** `new this`, as GatewayEmulator.start. */
  static start(options: BotProcessOptions): BotProcess {
    return new this(options);
  }

  /** Resolves when the bot printed something matching `pattern` on stdout. */
  waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.stdout.match(pattern);
        if (m === null) return false;
        cleanup();
        resolve(m[0]);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`bot did not print ${pattern} within ${timeoutMs} ms; stdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      const onExit = () => {
        if (check()) return;
        cleanup();
        reject(new Error(`bot exited before printing ${pattern}; stdout: ${this.stdout}\nstderr: ${this.stderr}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.on('exit', onExit);
      check();
    });
  }

  /** Sends `signal` (default SIGTERM) and resolves when the bot has exited (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<BotExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}
