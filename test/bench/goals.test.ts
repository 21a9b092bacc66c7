import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/*
 * The start-up goals' idle RSS (bench/lib/goals.js): where both variants' processes fall into two
 * modes, the difference is judged within them, not across whichever modes a round's two landed in.
 */
interface Judged { text: string; met: boolean | undefined; value?: number; revised?: boolean }
const { rssDifference, floodGoals } = createRequire(__filename)('../../bench/lib/goals.js') as {
  rssDifference(result: unknown, key: string, baseline: string): { median: number; min: number; max: number; n: number; modes?: string } | undefined;
  floodGoals(result: unknown): Judged[];
};

const MB = 2 ** 20;
const result = (a: number[], b: number[]) => ({
  variants: [{ key: 'lg', idleRss: a.map((x) => x * MB) }, { key: 'base', idleRss: b.map((x) => x * MB) }],
});

describe('rssDifference', () => {
  it('judges two modes within them: 3 MB added in each, whichever mode each round landed in', () => {
    // Rounds pair a high loopguard process with a low baseline one, and the other way round.
    const d = rssDifference(result([93, 103, 93, 103, 103, 103], [100, 90, 100, 90, 90, 90]), 'lg', 'base');
    expect(d?.median).toBeCloseTo(3, 5);
    expect(d?.modes).toContain('high in 4 of 6 processes against 2 of 6');
  });

  it('pairs within rounds where there is one mode', () => {
    const d = rssDifference(result([93, 94, 95, 96], [90, 90, 91, 92]), 'lg', 'base');
    expect(d?.median).toBeCloseTo(4, 5); // 3, 4, 4, 4
    expect(d?.modes).toBeUndefined();
  });
});

describe('floodGoals', () => {
  // CPU per message of three rounds: a bare run costs more than loopguard's handler without a call.
  const flood = (major: number) => ({
    major,
    variants: [
      { key: 'none-nosync', cpuUs: [20, 20, 20] },
      { key: 'bare-als-nosync', cpuUs: [22, 22, 22] },
      { key: 'loopguard-nosync', cpuUs: [21, 21.6, 22.4] },
    ],
  });
  const nosync = (goals: Judged[]) => goals.filter((g) => g.text.includes('without a sync call'));

  it('judges a handler without a sync call against no tool and, revised, against a bare run of the same handler (Node 24+)', () => {
    const [issue, revised] = nosync(floodGoals(flood(24)));
    expect(issue).toMatchObject({ met: false, value: 1.08 }); // 21.6 / 20
    expect(revised).toMatchObject({ met: true, revised: true });
    expect(revised?.value).toBeCloseTo(21.6 / 22, 5);
  });

  it('has no goal for it on Node 20 and 22, where the issue judges the worst case against a bare run', () => {
    expect(nosync(floodGoals(flood(22)))).toEqual([]);
  });
});
