import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real folder with real files for one test; `snapshot()` describes everything in it. */
export class Scratch {
  readonly dir: string;
  constructor() {
    this.dir = fs.mkdtempSync(join(tmpdir(), 'loopguard-test-'));
  }
  path(name: string): string {
    return join(this.dir, name);
  }
  file(name: string, content = 'hello loopguard\n'): string {
    const p = this.path(name);
    fs.writeFileSync(p, content);
    return p;
  }
  /** Names, sizes, modes and times of everything in the folder: equal snapshots mean nothing changed. */
  snapshot(): string {
    const lines: string[] = [];
    const walk = (dir: string): void => {
      for (const name of fs.readdirSync(dir).sort()) {
        const p = join(dir, name);
        const st = fs.lstatSync(p);
        lines.push(`${p} ${st.mode} ${st.size} ${st.mtimeMs} ${st.uid}:${st.gid}`);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(this.dir);
    return lines.join('\n');
  }
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
