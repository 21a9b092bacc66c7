import { threadId } from 'node:worker_threads';
import type { Sink } from '../report/types';
import { AsyncWriter } from '../util/async-writer';
import { relayedWriter } from '../util/line-relay';
import { raw } from '../util/raw-fs';

/** `%p` in a report file path becomes the process id, `%t` the thread id (one file per shard). */
export function expandReportPath(path: string): string {
  return path.replaceAll('%p', String(process.pid)).replaceAll('%t', String(threadId));
}

/**
 * One JSON object per line. The file is opened (created 0600, appended to) when the sink is
 * made, so that an unwritable path fails at start-up; lines are written without blocking and
 * whatever is still queued at exit is written before the process ends. In a worker thread the
 * main thread writes them (see line-relay.ts).
 */
export function jsonlSink(path: string, onError: (error: Error) => void = () => {}): Sink {
  const file = expandReportPath(path);
  const fd = raw.openSync(file, 'a', 0o600);
  const relayed = relayedWriter(file);
  if (relayed !== undefined) raw.closeSync(fd);
  const out = relayed ?? new AsyncWriter(fd, onError, { close: true, path: file });
  return {
    name: 'jsonl',
    write(report) {
      out.write(JSON.stringify(report) + '\n');
    },
    close() {
      out.end();
    },
  };
}
