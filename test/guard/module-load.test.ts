import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus';
import { defaults } from '../../src/config/settings';
import { Guard } from '../../src/guard/guard';
import { requireWrapper } from '../../src/guard/module-load';

/*
 * The require wrapper's listeners: told of packages' and builtins' requires, and of a file's only
 * when Node's list of loaded modules grew meanwhile (most of a library's requires are of its own
 * files, and each listener call is paid at each of them).
 */

function setup() {
  const guard = new Guard(new Bus(), defaults);
  const heard: string[] = [];
  guard.requireListeners.add((id) => heard.push(`before ${String(id)}`));
  guard.loadListeners.add((id) => heard.push(`after ${String(id)}`));
  const loads: string[] = [];
  // A stand-in for Node's require.
  const wrapper = requireWrapper(guard, (id) => {
    loads.push(String(id));
    return { id };
  });
  return { heard, loads, require: (id: unknown) => wrapper.call(module, id as string) };
}

describe('requireWrapper', () => {
  it('tells the listeners of a package\'s or a builtin\'s require, before and after it', () => {
    const { heard, require } = setup();
    expect(require('some-package')).toEqual({ id: 'some-package' });
    expect(heard).toEqual(['before some-package', 'after some-package']);
  });

  it('a file\'s require is told to nobody while Node\'s list of loaded modules stays the same', () => {
    const { heard, loads, require } = setup();
    require('some-package');
    heard.length = 0;
    for (const id of ['./a.js', '../b', '/abs/c.js']) expect(require(id)).toEqual({ id });
    expect(loads).toEqual(['some-package', './a.js', '../b', '/abs/c.js']);
    expect(heard).toEqual([]);
  });

  it('a file\'s require after Node loaded a builtin meanwhile is told to the load listeners once', () => {
    const { heard, require } = setup();
    require('./first.js');
    heard.length = 0;
    // Loaded behind the wrapper's back (an ES module's import of it would be): the list grew.
    const name = ['wasi', 'trace_events', 'domain', 'punycode', 'readline', 'repl'].find((n) => !(process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes(`NativeModule ${n}`));
    expect(name).toBeDefined();
    process.getBuiltinModule(`node:${name as string}`);
    require('./second.js');
    require('./third.js');
    expect(heard).toEqual(['after ./second.js']);
  });

  it('an id that is not a string reaches Node\'s require as it is (Node fails it with its own error), and the listeners, which must bear it', () => {
    const { heard, loads, require } = setup();
    require(123);
    expect(loads).toEqual(['123']);
    expect(heard).toEqual(['before 123', 'after 123']);
  });
});
