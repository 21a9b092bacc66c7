import { threadId } from 'node:worker_threads';
import { raw } from '../core/raw';
import type { Sink } from '../core/reports';
import type { LinesFor } from '../thread/client';
import { openReportFile } from '../thread/line-file';

/** `%p` in a report file path becomes the process id, `%t` the thread id (one file per shard). */
export function expandReportPath(path: string): string {
  return path.replaceAll('%p', String(process.pid)).replaceAll('%t', String(threadId));
}

/**
 * One JSON object per line. The file is opened (created 0600, appended to, never through a
 * symlink, only a regular file) when the sink is made, so that a bad path fails at start-up; a
 * file others can write to is said (`warn`). Lines are written by loopguard's thread: a new site's
 * report is on disk before the blocking call returns to the app; aggregates follow at once.
 */
export function makeJsonlSink(path: string, linesFor: LinesFor, warn: (text: string) => void): Sink {
  const file = expandReportPath(path);
  const { fd, warning } = openReportFile(file, raw);
  if (warning !== undefined) warn(`the report file ${file}: ${warning}`);
  const out = linesFor({ fd, path: file });
  return {
    name: 'jsonl',
    write(report) {
      const line = JSON.stringify(report) + '\n';
      if (report.aggregate) out.write(line);
      else out.writeNow(line);
    },
    close() {
      out.end();
    },
  };
}
