import { describe, expect, it } from 'vitest';
import { cleanup, fixture, lineOf, runNode } from '../support/run-node';

/*
 * Worker threads: the preload runs in each of them; a worker judges its handlers like the main
 * thread (but for Atomics.wait), and the main thread writes its report lines.
 */

describe('a worker thread ended with worker.terminate()', () => {
  it('loses none of the report lines it made, in the report file and on stderr; Atomics.wait is not judged there', async () => {
    const app = fixture('worker-app.js');
    const run = await runNode(['-r', 'loopguard/register', app]);
    try {
      expect(run.code).toBe(0);
      expect(run.reports.map((r) => [r.api, r.handler?.source, r.handler?.event, r.site?.file, r.site?.line])).toEqual([
        ['fs.statSync', 'shard', 'job', app, lineOf(app, 'stat')],
      ]);
      expect(run.stderr).toContain(`fs.statSync blocked the event loop`);
      expect(run.stderr).toContain(`worker-app.js:${lineOf(app, 'stat')}:`);
    } finally {
      cleanup(run);
    }
  });
});
