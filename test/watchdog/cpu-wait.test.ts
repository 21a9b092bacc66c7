import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuWait, secondNumber } from '../../src/watchdog/cpu-wait';

/* The main thread's wait for a CPU, read at each heartbeat from one file kept open. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function statFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopguard-cpu-wait-'));
  dirs.push(dir);
  const file = join(dir, 'schedstat');
  writeFileSync(file, text);
  return file;
}
const openFds = () => readdirSync('/proc/self/fd').length;
const linux = process.platform === 'linux';

describe('the wait for a CPU', () => {
  it.runIf(linux)('is the schedstat\'s second number, in ms, read again from the one open file at every beat', () => {
    const file = statFile('211419457 766821 15\n');
    const wait = new CpuWait(file);
    const fds = openFds();
    expect(wait.read()).toBeCloseTo(0.766821, 9);
    // Rewritten in place, as procfs makes it anew at each read: the next read sees the new text.
    writeFileSync(file, '311419457 12766821 16\n');
    expect(wait.read()).toBeCloseTo(12.766821, 9);
    expect(wait.read()).toBeCloseTo(12.766821, 9);
    expect(openFds()).toBe(fds + 1);
    wait.close();
    expect(openFds()).toBe(fds);
  });

  it.runIf(linux)('grows on this thread\'s own file as the host makes it wait (never backwards)', () => {
    const wait = new CpuWait();
    const first = wait.read();
    expect(first).toBeGreaterThanOrEqual(0);
    const end = Date.now() + 20;
    while (Date.now() < end);
    expect(wait.read()).toBeGreaterThanOrEqual(first as number);
    wait.close();
  });

  it.runIf(linux)('is unknown where the file cannot be read, and is not tried again (no file left open)', () => {
    const fds = openFds();
    const missing = new CpuWait(join(tmpdir(), 'loopguard-no-such-dir', 'schedstat'));
    expect(missing.read()).toBeUndefined();
    expect(missing.read()).toBeUndefined();
    const garbled = new CpuWait(statFile('no numbers here\n'));
    expect(garbled.read()).toBeUndefined();
    writeFileSync(dirs[0] as string + '/schedstat', '1 2 3\n');
    expect(garbled.read()).toBeUndefined();
    expect(openFds()).toBe(fds);
  });

  it('reads the second number without making a string, within the bytes read only', () => {
    const bytes = (text: string) => Buffer.from(text, 'latin1');
    expect(secondNumber(bytes('1 23 4\n'), 7)).toBe(23);
    expect(secondNumber(bytes('1 23'), 4)).toBe(23);
    expect(secondNumber(bytes('1 23 4\n'), 3)).toBe(2);
    expect(secondNumber(bytes('123 '), 4)).toBeUndefined();
    expect(secondNumber(bytes('12345 6'), 3)).toBeUndefined();
    expect(secondNumber(bytes('1 x2'), 4)).toBeUndefined();
  });
});
