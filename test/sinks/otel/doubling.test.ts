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
});
