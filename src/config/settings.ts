import { codeCacheAccepted, codeCacheSetting } from '../core/code-cache';
import { ConfigError } from '../core/errors';

export { ConfigError };

/*
 * Every setting, once: its environment variable, its option name in code, what it accepts.
 * The README's configuration table and the config tests are driven by `settings` below.
 */

export type Mode = 'report' | 'strict' | 'off';
export type Scope = 'handlers' | 'all';
export type ModuleLoads = 'user' | 'all' | 'off';
export type Otel = 'auto' | 'on' | 'off';

export interface Settings {
  mode: Mode;
  scope: Scope;
  thresholdMs: number;
  reportFile: string | undefined;
  console: boolean;
  allowApis: readonly string[];
  allowSites: readonly (string | RegExp)[];
  moduleLoads: ModuleLoads;
  strictModuleLoads: boolean;
  stdio: boolean;
  /** `auto`: every integration; `off`: none; or the names to hook. */
  integrations: 'auto' | 'off' | readonly string[];
  /** Calls a second of one API in one handler event above which stacks (and, 4× as many, timings) are sampled (Infinity: never). */
  sampleAbove: number;
  /** Deprecated, no effect: reports show a child process by its program's name only. */
  reportArgs: boolean;
  /** OpenTelemetry spans and metrics: `auto` when `@opentelemetry/api` is installed. */
  otel: Otel;
  /** The event loop not turning for this long is a stall (Infinity: no watchdog). */
  stallMs: number;
  /** Blocking before an interaction's acknowledgement from which it is reported as delayed (late ones always are). */
  ackBlockedMs: number;
  /** V8's code cache of loopguard's bundles (core/code-cache.ts): `on`, `off` or its folder. Read before the bundle is, so only from the environment. */
  codeCache: string;
}

export const defaults: Readonly<Settings> = Object.freeze({
  mode: 'report',
  scope: 'handlers',
  thresholdMs: 0,
  reportFile: undefined,
  console: true,
  allowApis: [],
  allowSites: [],
  moduleLoads: 'user',
  strictModuleLoads: false,
  stdio: false,
  integrations: 'auto',
  sampleAbove: 50,
  reportArgs: false,
  otel: 'auto',
  stallMs: 1000,
  ackBlockedMs: 100,
  codeCache: 'on',
});


interface SettingSpec<K extends keyof Settings> {
  readonly key: K;
  readonly env: string;
  /** The accepted values, as the error message and the README say them. */
  readonly accepted: string;
  readonly description: string;
  /** Read before the API can be called (what loads loopguard reads it), so no option in code. */
  readonly envOnly?: true;
  fromEnv(raw: string): Settings[K] | undefined;
  fromCode(value: unknown): Settings[K] | undefined;
}

const oneOf = <T extends string>(values: readonly T[]) => (raw: unknown): T | undefined =>
  typeof raw === 'string' && (values as readonly string[]).includes(raw.trim().toLowerCase())
    ? (raw.trim().toLowerCase() as T)
    : undefined;

const nonNegative = (raw: unknown): number | undefined => {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
};

const between = (min: number, max: number) => (raw: unknown): number | undefined => {
  const value = nonNegative(raw);
  return value !== undefined && value >= min && value <= max ? value : undefined;
};
/** An hour: beyond it a threshold means nothing, and timers overflow past 2^31 ms. */
const hourMs = 3_600_000;
const milliseconds = between(0, hourMs);
const callsASecond = between(1, 1_000_000);
const stallMilliseconds = between(50, hourMs);
/** Up to Discord's 3 s deadline: past it, an acknowledgement is late, and late ones are always reported. */
const ackMilliseconds = between(0, 3000);

const flagWords: Record<string, boolean> = { '1': true, true: true, on: true, yes: true, '0': false, false: false, off: false, no: false };
const flagFromEnv = (raw: string): boolean | undefined => flagWords[raw.trim().toLowerCase()];
const flagFromCode = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...(value as string[])] : undefined;
const patternList = (value: unknown): (string | RegExp)[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' || v instanceof RegExp)
    ? [...(value as (string | RegExp)[])]
    : undefined;
const path = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

function spec<K extends keyof Settings>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

const modes = ['report', 'strict', 'off'] as const;
const scopes = ['handlers', 'all'] as const;
const moduleLoads = ['user', 'all', 'off'] as const;
const otels = ['auto', 'on', 'off'] as const;

export const settings = [
  spec({
    key: 'mode', env: 'LOOPGUARD_MODE', accepted: modes.join(', '),
    description: '`report`: the call runs, is timed and reported. `strict` (dev mode): a `BlockingCallError` is thrown before the call runs. `off`: nothing is wrapped.',
    fromEnv: oneOf(modes), fromCode: oneOf(modes),
  }),
  spec({
    key: 'scope', env: 'LOOPGUARD_SCOPE', accepted: scopes.join(', '),
    description: '`handlers`: only code inside event handlers is judged. `all`: any code after start-up (the first turn of the event loop), like `--trace-sync-io` with context.',
    fromEnv: oneOf(scopes), fromCode: oneOf(scopes),
  }),
  spec({
    key: 'thresholdMs', env: 'LOOPGUARD_THRESHOLD_MS', accepted: 'a number of milliseconds from 0 to 3600000',
    description: 'Report mode ignores calls that blocked for less than this.',
    fromEnv: milliseconds, fromCode: milliseconds,
  }),
  spec({
    key: 'reportFile', env: 'LOOPGUARD_REPORT_FILE', accepted: 'a writable file path (%p: the process id, %t: the thread id)',
    description: 'Also write every report as one JSON object per line to this file (created with mode 0600, appended to).',
    fromEnv: path, fromCode: path,
  }),
  spec({
    key: 'console', env: 'LOOPGUARD_CONSOLE', accepted: '1, 0, true, false, on, off',
    description: 'One line on stderr per new call site, and a summary of the worst offenders at exit.',
    fromEnv: flagFromEnv, fromCode: flagFromCode,
  }),
  spec({
    key: 'allowApis', env: 'LOOPGUARD_ALLOW', accepted: 'comma-separated API names, `*` as wildcard (e.g. fs.existsSync,zlib.*)',
    description: 'These APIs are never reported or stopped.',
    fromEnv: list, fromCode: stringList,
  }),
  spec({
    key: 'allowSites', env: 'LOOPGUARD_ALLOW_SITES', accepted: 'comma-separated path globs (e.g. **/node_modules/sharp/**,src/migrations/*)',
    description: 'Calls whose calling line is in a matching file are never reported or stopped. In code, RegExps work too.',
    fromEnv: list, fromCode: patternList,
  }),
  spec({
    key: 'moduleLoads', env: 'LOOPGUARD_MODULE_LOADS', accepted: moduleLoads.join(', '),
    description: 'Lazy `require()`/`import()` inside a handler reads files: `user` reports the ones your code makes, `all` also those inside dependencies, `off` none.',
    fromEnv: oneOf(moduleLoads), fromCode: oneOf(moduleLoads),
  }),
  spec({
    key: 'strictModuleLoads', env: 'LOOPGUARD_STRICT_MODULE_LOADS', accepted: '1, 0, true, false, on, off',
    description: 'In strict mode, also throw for a reported lazy module load (off: they are reported only).',
    fromEnv: flagFromEnv, fromCode: flagFromCode,
  }),
  spec({
    key: 'stdio', env: 'LOOPGUARD_STDIO', accepted: '1, 0, true, false, on, off',
    description: 'Also judge synchronous writes to fd 1 and 2 (`console.log` to a file or pipe). Off by default, or every logging bot would fail in strict mode.',
    fromEnv: flagFromEnv, fromCode: flagFromCode,
  }),
  spec({
    key: 'integrations', env: 'LOOPGUARD_INTEGRATIONS', accepted: 'auto, off, or comma-separated names of the integrations (see the libraries table)',
    description: 'Which libraries\' event handlers are tracked automatically when the app loads them.',
    fromEnv: (raw) => {
      const v = raw.trim().toLowerCase();
      return v === 'auto' || v === 'off' ? v : list(raw);
    },
    fromCode: (value) => (value === 'auto' || value === 'off' ? value : stringList(value)),
  }),
  spec({
    key: 'sampleAbove', env: 'LOOPGUARD_SAMPLE_ABOVE', accepted: 'a number of calls a second from 1 to 1000000, or off',
    description: 'Above this many calls a second of one API in one handler event, only a sample of them read the stack (the rest are counted and attributed to sampled sites), and above twice as many, only a sample of the fast ones (under 1 ms) are timed (docs/reports.md). `off`: every call reads it and is timed.',
    fromEnv: (raw) => (raw.trim().toLowerCase() === 'off' ? Infinity : callsASecond(raw)),
    fromCode: (value) => (value === 'off' || value === Infinity ? Infinity : callsASecond(value)),
  }),
  spec({
    key: 'reportArgs', env: 'LOOPGUARD_REPORT_ARGS', accepted: '1, 0, true, false, on, off',
    description: 'Deprecated, has no effect: a child process is shown by its program\'s base name only, since command lines hold passwords and tokens. Setting it on says so once.',
    fromEnv: flagFromEnv, fromCode: flagFromCode,
  }),
  spec({
    key: 'otel', env: 'LOOPGUARD_OTEL', accepted: otels.join(', '),
    description: 'OpenTelemetry spans (a span per handled event, a child span per blocking call) and metrics, sent to the SDK the app registers. `auto`: when `@opentelemetry/api` is installed. `on`: stop at start-up if it is not.',
    fromEnv: oneOf(otels), fromCode: oneOf(otels),
  }),
  spec({
    key: 'stallMs', env: 'LOOPGUARD_STALL_MS', accepted: 'a number of milliseconds from 50 to 3600000, or off',
    description: 'A watchdog thread reports when the event loop has not turned for this long, with the stack of the code that holds it and what was at risk (heartbeats, interactions). 1000: a third of the 3 s interaction deadline, far above garbage-collection pauses. `off`: no watchdog.',
    fromEnv: (raw) => (raw.trim().toLowerCase() === 'off' ? Infinity : stallMilliseconds(raw)),
    fromCode: (value) => (value === 'off' || value === Infinity ? Infinity : stallMilliseconds(value)),
  }),
  spec({
    key: 'ackBlockedMs', env: 'LOOPGUARD_ACK_BLOCKED_MS', accepted: 'a number of milliseconds from 0 to 3000',
    description: 'An interaction acknowledgement is reported as delayed when the blocking calls its handler made before it add up to at least this (0: any). 100: below it, nobody acts on the delay. One that comes after Discord\'s 3 s deadline is reported whatever blocked it.',
    fromEnv: ackMilliseconds, fromCode: ackMilliseconds,
  }),
  spec({
    key: 'codeCache', env: 'LOOPGUARD_CODE_CACHE', accepted: codeCacheAccepted, envOnly: true,
    description: 'V8\'s compiled code of loopguard\'s own bundles, written at a first start\'s first loop turn and read by the next starts: half the instructions the preload adds to `node -e 0` on Node 24. `on`: in a folder of this user\'s own (mode 0700) in the temporary folder; a folder: there (in a container whose temporary folder starts empty, a folder on a volume: otherwise every start is a first one). Only files this user owns and only this user may write are read (docs/performance.md). None with source maps on, under V8 coverage or Node\'s permission model, on Windows and on Bun. Environment only: it is read before the code that takes options.',
    fromEnv: codeCacheSetting, fromCode: () => undefined,
  }),
] as const;

export type Options = Partial<Omit<Settings, 'sampleAbove' | 'stallMs' | 'codeCache'>> & { sampleAbove?: number | 'off'; stallMs?: number | 'off' };

function reject(name: string, shown: string, accepted: string): never {
  throw new ConfigError(name, `loopguard: invalid ${name} ${shown}; accepted: ${accepted}`);
}

/**
 * LOOPGUARD_* variables that are no setting (a typo, a name from an old README), each with the
 * setting's variable it is closest to, if one is close.
 */
export function unknownVariables(env: NodeJS.ProcessEnv): { name: string; closest: string | undefined }[] {
  const known = settings.map((s) => s.env);
  return Object.keys(env)
    .filter((name) => name.startsWith('LOOPGUARD_') && !known.includes(name))
    .map((name) => {
      // A setting's option name spelled as a variable (LOOPGUARD_ALLOW_APIS for allowApis) first.
      const bare = name.slice('LOOPGUARD_'.length).replaceAll('_', '').toLowerCase();
      const byKey = settings.find((s) => s.key.toLowerCase() === bare)?.env;
      if (byKey !== undefined) return { name, closest: byKey };
      const [closest, distance] = known.map((k) => [k, editDistance(name, k)] as const).reduce((a, b) => (b[1] < a[1] ? b : a));
      return { name, closest: distance <= Math.max(3, Math.floor(name.length / 3)) ? closest : undefined };
    });
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length] as number;
}

/** Reads the LOOPGUARD_* variables. Unset or empty variables keep the default. */
export function settingsFromEnv(env: NodeJS.ProcessEnv, base: Readonly<Settings> = defaults): Settings {
  const out: Settings = { ...base };
  for (const s of settings) {
    const raw = env[s.env];
    if (raw === undefined || raw.trim() === '') continue;
    const value = s.fromEnv(raw);
    if (value === undefined) reject(s.env, JSON.stringify(raw), s.accepted);
    (out as unknown as Record<string, unknown>)[s.key] = value;
  }
  return out;
}

/** Applies options given in code on top of `base`. `alsoKnown`: option names the caller handles itself. */
export function settingsFromOptions(options: Options, base: Readonly<Settings> = defaults, alsoKnown: readonly string[] = []): Settings {
  const known = new Map<string, (typeof settings)[number]>(settings.map((s) => [s.key, s]));
  const names = settings.filter((s) => !('envOnly' in s)).map((s) => s.key).join(', ');
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    reject('options', describe(options), `an object of options (${names})`);
  }
  const out: Settings = { ...base };
  for (const [key, raw] of Object.entries(options)) {
    if (raw === undefined || alsoKnown.includes(key)) continue;
    const s = known.get(key);
    if (s === undefined) reject('option', JSON.stringify(key), names);
    if ('envOnly' in s) {
      // Settings given back as they were (a test's guard restoring them) change nothing here.
      if (raw === base[s.key]) continue;
      reject(`option ${key}`, describe(raw), `none in code; set ${s.env} before the process starts`);
    }
    const value = s.fromCode(raw);
    if (value === undefined) reject(`option ${key}`, describe(raw), s.accepted);
    (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    return typeof value;
  }
}
