import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFromInfo, currentHandler, handlerStorage } from '../../src/core/context';
import { withoutOwnFrames } from '../../src/core/error-stacks';
import { mimic, type AnyFunction } from '../../src/core/patch';
import type { Guard } from '../../src/guard/guard';
import { judgingWrapper } from '../../src/guard/judging';
import { root } from '../support/run-node';

/* Stacks rewritten as they would read without loopguard: its frames out, the names V8 gave the others kept. */

const own = (name: string, file: string) => `    at ${name} (${join(root, 'src', file)}:10:5)`;
const rewritten = (frames: string[]): string[] => {
  const error = new Error('boom');
  error.stack = ['Error: boom', ...frames].join('\n');
  withoutOwnFrames(error, function wrapper() {});
  return (error.stack as string).split('\n').slice(1).filter((l) => !l.includes(__filename));
};

describe('withoutOwnFrames', () => {
  it('reads the stack outside the handler: what the app\'s Error.prepareStackTrace does then (source-map-support reads files) is loopguard\'s doing, not a blocking call of the handler', () => {
    const during: string[] = [];
    let rebuilding = false;
    const before = Error.prepareStackTrace;
    Error.prepareStackTrace = (error, frames) => {
      if (rebuilding) during.push(currentHandler()?.event ?? 'no handler');
      return [String(error), ...frames.map((f) => `    at ${String(f)}`)].join('\n');
    };
    try {
      handlerStorage.run(contextFromInfo({ source: 'test', event: 'message' }), () => {
        const error = new Error('ENOENT');
        rebuilding = true;
        withoutOwnFrames(error, function wrapper() {});
        rebuilding = false;
      });
    } finally {
      Error.prepareStackTrace = before;
    }
    // Node 20 formats a stack when its descriptor is read; from Node 22 on, only when it is read.
    if (Number(process.versions.node.split('.')[0]) === 20) expect(during.length).toBeGreaterThan(0);
    expect(during.filter((event) => event !== 'no handler')).toEqual([]);
  });

  it('names a Node function loopguard replaced as its caller called it (Node 22+ prints it <anonymous>)', () => {
    expect(rewritten([
      '    at Module.load (node:internal/modules/cjs/loader:1505:32)',
      '    at Function.<anonymous> (node:internal/modules/cjs/loader:1309:12)',
      own('Function._load', 'hooks/package-files.ts'),
      '    at wrapModuleLoad (node:internal/modules/cjs/loader:254:19)',
    ])).toEqual([
      '    at Module.load (node:internal/modules/cjs/loader:1505:32)',
      '    at Function._load (node:internal/modules/cjs/loader:1309:12)',
      '    at wrapModuleLoad (node:internal/modules/cjs/loader:254:19)',
    ]);
  });

  it('leaves an app\'s anonymous function that loopguard calls as it is', () => {
    expect(rewritten([
      '    at Client.<anonymous> (/srv/bot/index.js:12:7)',
      own('emitSettling', 'handlers/emit.ts'),
      own('Client.emit', 'discord/client-emit.ts'),
      '    at MessageCreateAction.handle (/srv/bot/node_modules/discord.js/src/client/actions/MessageCreate.js:33:14)',
    ])).toEqual([
      '    at Client.<anonymous> (/srv/bot/index.js:12:7)',
      '    at MessageCreateAction.handle (/srv/bot/node_modules/discord.js/src/client/actions/MessageCreate.js:33:14)',
    ]);
  });

  it('a wrapped call inside another: the innermost wrapper rebuilds the stack, and the outer one names its original as the app called it', () => {
    const guard = { judgesAll: false, active: true } as unknown as Guard;
    const judged = (): unknown => undefined;
    const wrap = (original: AnyFunction, key: string) => {
      const wrapper = judgingWrapper(guard, original, () => false, judged, key);
      mimic(wrapper, original);
      return wrapper as () => void;
    };
    function innerOriginal(): void {
      throw new Error('inner');
    }
    const api: Record<string, () => void> = {};
    function syncWork(): void {
      (api.innerKey as () => void)();
    }
    api.innerKey = wrap(innerOriginal, 'innerKey');
    api.outerKey = wrap(syncWork, 'outerKey');
    let stack: string[] = [];
    try {
      api.outerKey();
    } catch (error) {
      stack = ((error as Error).stack ?? '').split('\n');
    }
    // As plain Node prints the same calls in a script (this file's transform changes how V8 names
    // its own functions, so it is not compared with an unwrapped run here).
    expect(stack.slice(0, 3)).toEqual(['Error: inner', expect.stringContaining('at Object.innerOriginal [as innerKey] ('), expect.stringContaining('at Object.syncWork [as outerKey] (')]);
    expect(stack.join('\n')).not.toContain(join(root, 'src'));
  });
});
