import { isAbsolute, relative } from 'node:path';
import type { Site } from '../core/reports';
import type { HandlerCount } from './model';

/** 0.42 ms, 3.1 ms, 1,234 ms: a decimal only where it matters. */
export function ms(value: number): string {
  if (value === 0) return '0 ms';
  if (value < 10) return `${value.toFixed(value < 1 ? 2 : 1)} ms`;
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** A path under the working directory is shown relative to it, as a person would type it. */
export function shortPath(file: string, cwd = process.cwd()): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function siteText(site: Site | null, cwd?: string): string {
  if (site === null) return '(unknown line)';
  return `${shortPath(site.file, cwd)}:${site.line}:${site.column}`;
}

export function handlerText(h: HandlerCount): string {
  if (h.source === '' && h.event === '') return 'outside handlers';
  return `${h.event} (${h.source})`;
}

/** `2024-05-01 12:00:03` in UTC: report files from several machines compare in one zone. */
export function timeText(time: number): string {
  return new Date(time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A span of time for people: 500 ms, 10 s, 5 min, 2 h. */
export function spanText(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 120_000) return `${+(value / 1000).toFixed(1)} s`;
  if (value < 7_200_000) return `${+(value / 60_000).toFixed(1)} min`;
  return `${+(value / 3_600_000).toFixed(1)} h`;
}
