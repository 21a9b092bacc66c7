import { threadId } from 'node:worker_threads';
import type { Sink } from '../report/types';
import { AsyncWriter } from '../util/async-writer';
import { raw } from '../util/raw-fs';

/** `%p` in a report file path becomes the process id, `%t` the thread id (one file per shard). */
export function expandReportPath(path: string): string {
  return path.replaceAll('%p', String(process.pid)).replaceAll('%t', String(threadId));
}

/**
 * One JSON object per line. The file is opened (created 0600, appended to) when the sink is
 * made, so that an unwritable path fails at start-up; lines are written without blocking and
 * whatever is still queued at exit is written before the process ends.
 */
export function jsonlSink(path: string, onError: (error: Error) => void = () => {}): Sink {
  const fd = raw.openSync(expandReportPath(path), 'a', 0o600);
  const out = new AsyncWriter(fd, onError);
  return {
    name: 'jsonl',
    write(report) {
      out.write(JSON.stringify(report) + '\n');
    },
    close() {
      out.flushSync();
      out.whenIdle(() => {
        try {
          raw.closeSync(fd);
        } catch {
          // Already closed: nothing left to lose.
        }
      });
    },
  };
}
