import { describe, expect, it } from 'vitest';
import { Topic } from '../../src/core/bus';

/* The bus's topics: listeners that throw are counted, and a publisher can ask whether anyone wants a message. */

describe('a topic', () => {
  it('is wanted while a listener wants it, and no longer once that listener is taken out', () => {
    const topic = new Topic<number>();
    expect(topic.wanted()).toBe(false);
    let wants = false;
    const seen: number[] = [];
    const remove = topic.add((n) => seen.push(n), () => wants);
    expect(topic.wanted()).toBe(false);
    wants = true;
    expect(topic.wanted()).toBe(true);
    topic.publish(1);
    remove();
    expect(topic.wanted()).toBe(false);
    topic.publish(2);
    expect(seen).toEqual([1]);
  });

  it('is always wanted by a listener that says nothing, and a listener that throws does not keep the others from a message', () => {
    const errors: unknown[] = [];
    const topic = new Topic<number>((error) => errors.push(error));
    const seen: number[] = [];
    topic.add(() => { throw new Error('listener'); });
    topic.add((n) => seen.push(n));
    expect(topic.wanted()).toBe(true);
    topic.publish(3);
    expect(seen).toEqual([3]);
    expect(errors).toHaveLength(1);
  });

  it('runs what it was given before its next message only, once: a listener added there hears that message', () => {
    const errors: unknown[] = [];
    const topic = new Topic<number>((error) => errors.push(error));
    const seen: number[] = [];
    let ran = 0;
    topic.beforeNext(() => {
      ran++;
      topic.add((n) => seen.push(n));
    });
    topic.publish(1);
    topic.publish(2);
    expect([ran, seen]).toEqual([1, [1, 2]]);
    topic.beforeNext(() => { throw new Error('before'); });
    topic.publish(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
    topic.beforeNext(() => seen.push(-1));
    topic.beforeNext(undefined);
    topic.publish(4);
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
