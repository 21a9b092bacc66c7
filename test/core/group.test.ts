import { describe, expect, it } from 'vitest';
import { groupBy } from '../../src/core/group';

describe('groupBy', () => {
  it('groups in order of first appearance, keeping each group\'s order', () => {
    const groups = groupBy(['fs.a', 'zlib.b', 'fs.c', 'fs.d', 'zlib.e'], (s) => s.split('.')[0]);
    expect([...groups]).toEqual([['fs', ['fs.a', 'fs.c', 'fs.d']], ['zlib', ['zlib.b', 'zlib.e']]]);
  });

  it('is empty for nothing', () => {
    expect(groupBy([], (x) => x).size).toBe(0);
  });
});
