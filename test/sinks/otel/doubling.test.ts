import { describe, expect, it } from 'vitest';
import { atDoublingCounts } from '../../../src/sinks/otel/doubling';

describe('atDoublingCounts', () => {
  it('looks at the 1st, 2nd, 4th, 8th… call and at no other', () => {
    const looked: number[] = [];
    let call = 0;
    const tick = atDoublingCounts(() => looked.push(call));
    for (call = 1; call <= 300; call++) tick();
    expect(looked).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });

  it('calls done right after the look at the last call it is given, and at no other', () => {
    const said: string[] = [];
    let call = 0;
    const tick = atDoublingCounts(() => said.push(`look ${call}`), 8, () => said.push(`done ${call}`));
    for (call = 1; call <= 8; call++) tick();
    expect(said).toEqual(['look 1', 'look 2', 'look 4', 'look 8', 'done 8']);
  });
});
