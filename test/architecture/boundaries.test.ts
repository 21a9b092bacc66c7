import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../support/run-node';

/*
 * The dependency rule (.dependency-cruiser.cjs), which `npm test` checks on tsc's file-per-module
 * build (.tmp/build/, made by npm run build): it holds for the package as built, and it does fail
 * when a folder imports a layer above it or a cycle appears.
 */

function cruise(dir: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '.tmp/build', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd: dir }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), out: stdout + stderr });
    });
  });
}

describe('the dependency rule', () => {
  it('holds for the built package', async () => {
    const { code, out } = await cruise(root);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it.each([
    ['core importing the guard', 'core/planted.js', "require('../guard/guard.js');"],
    ['the guard importing the watchdog', 'guard/planted.js', "require('../watchdog/watchdog.js');"],
    ['a sink importing the runtime', 'sinks/planted.js', "require('../runtime/runtime.js');"],
    ['the runtime loading the emulator', 'runtime/planted.js', "require('../testing/gateway-emulator.js');"],
  ])('fails for %s', async (_what, file, code) => {
    const dir = mkdtempSync(join(root, '.tmp-cruise-'));
    try {
      cpSync(join(root, '.tmp/build'), join(dir, '.tmp/build'), { recursive: true });
      cpSync(join(root, 'package.json'), join(dir, 'package.json'));
      writeFileSync(join(dir, '.tmp/build', file), code);
      const result = await cruise(dir);
      expect(result.out).toContain(`not-in-allowed: .tmp/build/${file}`);
      expect(result.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails for a cycle', async () => {
    const dir = mkdtempSync(join(root, '.tmp-cruise-'));
    try {
      cpSync(join(root, '.tmp/build'), join(dir, '.tmp/build'), { recursive: true });
      cpSync(join(root, 'package.json'), join(dir, 'package.json'));
      writeFileSync(join(dir, '.tmp/build/report/cycle-a.js'), "require('./cycle-b.js');");
      writeFileSync(join(dir, '.tmp/build/report/cycle-b.js'), "require('./cycle-a.js');");
      const result = await cruise(dir);
      expect(result.out).toContain('no-circular: .tmp/build/report/cycle-');
      expect(result.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
