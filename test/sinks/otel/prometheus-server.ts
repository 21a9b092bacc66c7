import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A real Prometheus server (Debian's package, installed by scripts/system-deps.sh) as a plain child
 * process on a free loopback port, scraping the given targets every second, with its data in a
 * temporary folder. Debian's 2.42 has no OTLP receiver (Prometheus 2.47 added it), so the bots
 * serve their metrics for it to scrape.
 */

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export class Prometheus {
  private constructor(private readonly child: ChildProcess, private readonly dir: string, readonly url: string, private readonly log: () => string) {}

  static async start(targets: string[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'loopguard-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, [
      'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
      'scrape_configs:', '  - job_name: bot', '    static_configs:', `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`, '',
    ].join('\n'));
    const port = await freePort();
    const child = spawn('prometheus', [
      `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d));
    child.stderr!.on('data', (d: Buffer) => (output += d));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error('prometheus is not installed: run scripts/system-deps.sh') : e));
    });
    await spawned;
    const prometheus = new Prometheus(child, dir, `http://127.0.0.1:${port}`, () => output);
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${prometheus.url}/-/ready`)).ok) return prometheus;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || Date.now() > until) {
        await prometheus.stop();
        throw new Error(`prometheus did not become ready:\n${output.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** An instant query (now), through the HTTP API. */
  async query(expr: string): Promise<Sample[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = await response.json() as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`);
    if (body.data!.resultType !== 'vector') throw new Error(`not a vector: ${expr}`);
    return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The values of a label, on series matching `match` (what a Grafana `label_values()` variable asks). */
  async labelValues(label: string, match: string): Promise<string[]> {
    const response = await fetch(`${this.url}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': match })}`);
    return ((await response.json()) as { data: string[] }).data;
  }

  /** Scrape targets and their health. */
  async targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    return ((await response.json()) as { data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] } }).data.activeTargets;
  }

  output(): string {
    return this.log();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
