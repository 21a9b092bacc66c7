import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { contextOf } from '../../src/context';
import { install, onReport, uninstall, type Report } from '../../src/index';
import { acknowledging, beginInteraction } from '../../src/integrations/acks';
import { waitingInteractions } from '../../src/watchdog/at-risk';

/*
 * Interactions a bot never acknowledges (a handler that ignores some of them) must not pile up:
 * once Discord has forgotten them (15 minutes) loopguard forgets them too.
 */

install({ env: false, console: false, otel: 'off', stallMs: 'off' });
const reports: Report[] = [];
onReport((r) => reports.push(r));
afterAll(() => uninstall());
afterEach(() => vi.useRealTimers());

describe('interactions never acknowledged', () => {
  it('are forgotten 15 minutes on, by object and by id; younger ones are still watched', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const ignored = contextOf('test', 'interactionCreate', {});
    beginInteraction(ignored, { ignored: true }, undefined);
    beginInteraction(contextOf('test', 'interactionCreate', {}), 'id-ignored', undefined);
    expect(waitingInteractions()).toHaveLength(2);

    vi.setSystemTime(start + 15 * 60_000 + 1);
    const later = contextOf('test', 'interactionCreate', {});
    beginInteraction(later, 'id-later', undefined);
    expect(waitingInteractions().map((p) => p.context)).toEqual([later]);

    // The forgotten id acknowledges nothing; the later one is still matched.
    acknowledging('id-ignored', 'api.interactions.reply', acknowledging);
    expect(reports.filter((r) => r.type === 'interaction-ack')).toEqual([]);
    vi.setSystemTime(start + 15 * 60_000 + 4000); // past the 3 s deadline of the later one
    acknowledging('id-later', 'api.interactions.reply', acknowledging);
    expect(reports.filter((r) => r.type === 'interaction-ack').map((r) => r.outcome)).toEqual(['late']);
    expect(waitingInteractions()).toEqual([]);
  });
});
