import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, root, runNode } from '../support/run-node';

/*
 * An error thrown through a wrapped call is the error the app would have had without loopguard:
 * the same class, code, message, properties (a failed execSync's status, stdout and stderr) and
 * stack — no frame of loopguard's, and the same frames of the app's at the default
 * Error.stackTraceLimit. Plain Node and Node under loopguard run the same failing calls.
 */

const app = fixture('failing-calls.js');

interface Described {
  case: string;
  error: { class: string; name: string; code: unknown; message: string; stack: string; own: Record<string, unknown>; stackProperty: string } | null;
}

async function failures(where: 'outside' | 'handler', guarded: boolean): Promise<Described[]> {
  const run = await runNode([...(guarded ? ['-r', 'loopguard/register'] : []), app, where], { GUARDED: guarded ? '1' : '0', LOOPGUARD_CONSOLE: 'off' });
  try {
    expect(run.code).toBe(0);
    return run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Described);
  } finally {
    cleanup(run);
  }
}

/**
 * The one known difference: an error the app freezes before anything read its stack keeps
 * loopguard's `stack` accessor (Node 22+, where the stack is rebuilt at its first read and V8's
 * accessor is put back then, which a frozen error does not allow); its stack reads the same.
 */
const frozenCase = 'an error frozen before its stack is read';

/** Differs between two runs of the same program: process ids in spawnSync's error, timings; the frozen error's accessor. */
const stable = (d: Described) => (d.error === null ? d : {
  ...d,
  error: { ...d.error, own: { ...d.error.own, pid: typeof d.error.own['pid'] }, ...(d.case === frozenCase ? { stackProperty: 'not compared' } : {}) },
});

describe('errors thrown through wrapped calls', () => {
  it('outside handlers: identical to plain Node, stack included', async () => {
    const [plain, guarded] = await Promise.all([failures('outside', false), failures('outside', true)]);
    expect(plain.every((d) => d.error !== null)).toBe(true);
    expect(guarded.map(stable)).toEqual(plain.map(stable));
    const frozen = guarded.find((d) => d.case === frozenCase)?.error;
    expect(frozen?.stackProperty).toBe(Number(process.versions.node.split('.')[0]) >= 22 ? 'another accessor' : 'data');
  });

  it('inside handlers: the same error, the same frames down to the handler, no frame of loopguard\'s', async () => {
    const [plain, guarded] = await Promise.all([failures('handler', false), failures('handler', true)]);
    expect(guarded.length).toBe(plain.length);
    for (const [i, p] of plain.entries()) {
      const g = guarded[i] as Described;
      const { stack: plainStack, ...plainRest } = stable(p).error!;
      const { stack: guardedStack, ...guardedRest } = stable(g).error!;
      expect({ case: g.case, ...guardedRest }).toEqual({ case: p.case, ...plainRest });
      // The app's own frames, frame for frame, down to the function the handler ran (below it,
      // runInHandler and a plain call differ). Node's own frames may differ by one: inside an async
      // context, zlib's callbacks go through async_hooks' trampoline (any AsyncLocalStorage user's do).
      const handler = `${app}:${lineOf(app, 'handler')}:`;
      const appFrames = (stack: string) => {
        const lines = stack.split('\n').filter((l) => l.includes(`${app}:`));
        return lines.slice(0, lines.findIndex((l) => l.includes(handler)) + 1);
      };
      expect({ case: g.case, message: guardedStack.split('\n')[0], frames: appFrames(guardedStack) })
        .toEqual({ case: p.case, message: plainStack.split('\n')[0], frames: appFrames(plainStack) });
      expect({ case: g.case, own: guardedStack.split('\n').filter((l) => l.includes(`${root}/dist/`) || l.includes(`${root}/src/`)) }).toEqual({ case: g.case, own: [] });
    }
  });
});

describe('an error the app does not catch', () => {
  const app = fixture('uncaught.js');
  const crash = async (script: string, guarded: boolean) => {
    const run = await runNode([...(guarded ? ['-r', 'loopguard/register'] : []), script], { LOOPGUARD_CONSOLE: 'off' });
    cleanup(run);
    // Node prints the place of the error's last throw (file:line, its source, a caret), a blank line, then the error.
    const [place, source, caret, blank, ...error] = run.stderr.split('\n');
    return { code: run.code, place, source, caret, blank, error };
  };

  it('thrown by a discord.js listener: Node prints the same as without loopguard, the place included (nothing catches it on the way)', async () => {
    const listener = fixture('uncaught-listener.js');
    const [plain, guarded] = await Promise.all([crash(listener, false), crash(listener, true)]);
    expect(plain.place).toBe(`${listener}:${lineOf(listener, 'crash')}`);
    expect(plain.error[0]).toBe("RangeError: the bot's own error");
    expect({ ...guarded, error: guarded.error.slice(0, 2) }).toEqual({ ...plain, error: plain.error.slice(0, 2) });
  });

  it('thrown by a wrapped call: the same error and stack; the place is loopguard\'s one rethrow, which says so on its line', async () => {
    const [plain, guarded] = await Promise.all([crash(app, false), crash(app, true)]);
    expect(plain.place).toMatch(/^node:fs:\d+$/);
    expect(guarded.source).toContain('loopguard passes on this error unchanged: its stack below shows where it was thrown');
    expect(guarded.error.join('\n')).toContain(`${app}:${lineOf(app, 'call')}:`);
    expect({ code: guarded.code, blank: guarded.blank, error: guarded.error }).toEqual({ code: plain.code, blank: plain.blank, error: plain.error });
  });
});
