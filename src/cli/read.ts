import { createReadStream } from 'node:fs';
import type { Report } from '../core/reports';
import { parseLine, type SkipReason } from './validate';

/*
 * Report files are read as streams: a bot's file can be larger than memory, and only what the
 * merge keeps per call site stays. Lines are split on the Buffers the stream yields, not with
 * readline: on a 1 KB-a-line report file the command took twice as long with readline (2.05 s
 * against 1.02 s per 100,000 lines here, its string decoding and line splitting over half of it);
 * splitting on newline bytes and decoding each line alone costs little, and JSON.parse is then
 * most of what is left.
 * Splitting bytes is safe for UTF-8: a newline byte never occurs inside a multi-byte character.
 */

export interface FileRead {
  path: string;
  lines: number;
  reports: number;
  skipped: number;
}

export type Skipped = Record<SkipReason, number>;

export const noSkips = (): Skipped => ({ torn: 0, notJson: 0, unknownType: 0, invalid: 0 });

/** A "line" longer than this is no report (loopguard's are a few KB): dropped, not accumulated. */
const maxLineBytes = 16 << 20;

/**
 * Reads one report file, handing each valid report to `take` and counting skipped lines by reason
 * into `skipped`. Rejects only when the file cannot be opened or read.
 */
export async function readReportFile(path: string, take: (report: Report) => void, skipped: Skipped): Promise<FileRead> {
  const read: FileRead = { path, lines: 0, reports: 0, skipped: 0 };
  const judge = (text: string, torn: boolean) => {
    if (read.lines === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM from an editor
    if (text.trim() === '') return;
    read.lines++;
    const result = parseLine(text, torn);
    if ('report' in result) {
      read.reports++;
      take(result.report);
    } else {
      read.skipped++;
      skipped[result.skip]++;
    }
  };
  const tooLong = () => {
    read.lines++;
    read.skipped++;
    skipped.notJson++;
  };
  /** The start of a line that continues in the next chunk. */
  let rest: Buffer[] = [];
  let restBytes = 0;
  let dropping = false;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    let newline = chunk.indexOf(10);
    if (newline < 0) {
      if (!dropping) {
        rest.push(chunk);
        restBytes += chunk.length;
        if (restBytes > maxLineBytes) {
          tooLong();
          dropping = true;
          rest = [];
          restBytes = 0;
        }
      }
      continue;
    }
    if (dropping) dropping = false;
    else if (restBytes > 0) judge(Buffer.concat([...rest, chunk.subarray(0, newline)]).toString('utf8'), false);
    else judge(chunk.toString('utf8', 0, newline), false);
    rest = [];
    restBytes = 0;
    start = newline + 1;
    while ((newline = chunk.indexOf(10, start)) >= 0) {
      judge(chunk.toString('utf8', start, newline), false);
      start = newline + 1;
    }
    if (start < chunk.length) {
      rest.push(chunk.subarray(start));
      restBytes = chunk.length - start;
    }
  }
  // What follows the last newline was being written when the file was copied, or when the writer died.
  if (restBytes > 0 && !dropping) judge(Buffer.concat(rest).toString('utf8'), true);
  return read;
}
