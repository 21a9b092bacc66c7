import { mkdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { appEntry, isEsModule } from '../../src/core/modules';
import { Scratch } from '../support/scratch';

const scratches: Scratch[] = [];
afterEach(() => {
  for (const s of scratches.splice(0)) s.remove();
});

function folder(): Scratch {
  const s = new Scratch();
  scratches.push(s);
  return s;
}

describe('isEsModule', () => {
  it('goes by the extension first', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    expect(isEsModule(s.path('a.mjs'))).toBe(true);
    expect(isEsModule(s.path('a.mts'))).toBe(true);
    expect(isEsModule(s.path('a.cjs'))).toBe(false);
    expect(isEsModule(s.path('a.cts'))).toBe(false);
  });

  it('else by the nearest package.json\'s "type", past folders without one', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    mkdirSync(s.path('src/deep'), { recursive: true });
    expect(isEsModule(s.path('src/deep/a.js'))).toBe(true);
    s.file('src/package.json', '{"name":"inner"}');
    expect(isEsModule(s.path('src/deep/a.js'))).toBe(false);
  });

  it('is false for a package.json Node could not read either, and where there is none', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"');
    expect(isEsModule(s.path('a.js'))).toBe(false);
    expect(isEsModule('/a.js')).toBe(false);
  });
});

describe('appEntry', () => {
  const argv1 = process.argv[1];
  afterEach(() => {
    process.argv[1] = argv1 as string;
  });

  it('is the entry file and its kind, read again when process.argv[1] changes', () => {
    const s = folder();
    s.file('package.json', '{"type":"module"}');
    process.argv[1] = s.path('app.js');
    expect(appEntry()).toEqual({ file: s.path('app.js'), esModule: true });
    expect(appEntry()).toBe(appEntry());
    process.argv[1] = s.path('app.cjs');
    expect(appEntry()).toEqual({ file: s.path('app.cjs'), esModule: false });
  });
});
