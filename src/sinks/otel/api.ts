import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Api from '@opentelemetry/api';

/*
 * `@opentelemetry/api` is the application's (an optional peer dependency): loopguard loads it only
 * when OpenTelemetry is on, from the app's folder first — the copy its SDK registered with — then
 * from its own. Copies share one global registry, so either sees the SDK.
 */

export type OtelApi = typeof Api;

const places = (): string[] => [join(process.cwd(), 'package.json'), __filename];

export function loadApi(): OtelApi | undefined {
  for (const from of places()) {
    try {
      return createRequire(from)('@opentelemetry/api') as OtelApi;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  return undefined;
}

/** Whether `loadApi` would find the API, without loading it. */
export function apiInstalled(): boolean {
  return places().some((from) => {
    try {
      createRequire(from).resolve('@opentelemetry/api');
      return true;
    } catch {
      return false;
    }
  });
}
