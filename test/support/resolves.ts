import Module from 'node:module';

/** Counts Node's resolutions (`Module._resolveFilename`) from now on; `undo` puts Node's own back. */
export function countResolves(): { count(): number; reset(): void; undo(): void } {
  const loader = Module as unknown as { _resolveFilename: (...args: unknown[]) => unknown };
  const resolve = loader._resolveFilename;
  let resolved = 0;
  loader._resolveFilename = function (this: unknown, ...args: unknown[]) {
    resolved++;
    return Reflect.apply(resolve, this, args);
  };
  return { count: () => resolved, reset: () => { resolved = 0; }, undo: () => { loader._resolveFilename = resolve; } };
}
