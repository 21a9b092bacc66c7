import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/*
 * The start-up goals' idle RSS (bench/lib/goals.js): where both variants' processes fall into two
 * modes, the difference is judged within them, not across whichever modes a round's two landed in.
 */
const { rssDifference } = createRequire(__filename)('../../bench/lib/goals.js') as {
  rssDifference(result: unknown, key: string, baseline: string): { median: number; min: number; max: number; n: number; modes?: string } | undefined;
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
