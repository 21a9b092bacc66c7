import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus';
import { defaults } from '../../src/config/settings';
import { Guard } from '../../src/guard/guard';
import { requireWrapper } from '../../src/guard/module-load';

/*
 * The require wrapper's listeners: told of packages' and builtins' requires, never of a file's
 * (most of a library's requires are of its own files, and each listener call is paid at each).
 */

function setup() {
  const guard = new Guard(new Bus(), defaults);
  const heard: string[] = [];
  guard.requireListeners.add((id) => heard.push(`before ${String(id)}`));
  const loads: string[] = [];
  // A stand-in for Node's require.
  const wrapper = requireWrapper(guard, (id) => {
    loads.push(String(id));
    heard.push(`loaded ${String(id)}`);
    return { id };
  });
  return { heard, loads, require: (id: unknown) => wrapper.call(module, id as string) };
}

describe('requireWrapper', () => {
  it('tells the listeners of a package\'s or a builtin\'s require before it runs', () => {
    const { heard, require } = setup();
    expect(require('some-package')).toEqual({ id: 'some-package' });
    expect(require('node:zlib')).toEqual({ id: 'node:zlib' });
    expect(heard).toEqual(['before some-package', 'loaded some-package', 'before node:zlib', 'loaded node:zlib']);
  });

  it('a file\'s require is told to nobody', () => {
    const { heard, loads, require } = setup();
    for (const id of ['./a.js', '../b', '/abs/c.js']) expect(require(id)).toEqual({ id });
    expect(loads).toEqual(['./a.js', '../b', '/abs/c.js']);
    expect(heard).toEqual(['loaded ./a.js', 'loaded ../b', 'loaded /abs/c.js']);
  });

  it('an id that is not a string reaches Node\'s require as it is (Node fails it with its own error), and the listeners, which must bear it', () => {
    const { heard, loads, require } = setup();
    require(123);
    expect(loads).toEqual(['123']);
    expect(heard).toEqual(['before 123', 'loaded 123']);
  });
});
