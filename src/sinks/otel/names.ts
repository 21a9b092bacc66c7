/*
 * Every name loopguard uses in OpenTelemetry, in one place (the README documents them from here).
 * loopguard's own attributes live under `loopguard.`; code locations use the stable semantic
 * conventions (`code.*`); exceptions use `exception.*` through `recordException`.
 */

export const scopeName = 'loopguard';

export const attr = {
  api: 'loopguard.api',
  kind: 'loopguard.kind',
  outcome: 'loopguard.outcome',
  hint: 'loopguard.hint',
  docs: 'loopguard.docs',
  via: 'loopguard.via',
  module: 'loopguard.module',
  detail: 'loopguard.detail',
  /** Prefix of the handler's attributes: `loopguard.handler.source`, `.event`, `.guild_id`, ... */
  handler: 'loopguard.handler.',
  ackDelay: 'loopguard.interaction.ack_delay_ms',
  ackDeadline: 'loopguard.interaction.deadline_ms',
  stallThreshold: 'loopguard.stall.threshold_ms',
  stallCaptureDelay: 'loopguard.stall.capture_delay_ms',
  stallNoStack: 'loopguard.stall.stack_unavailable',
  heartbeatsMissed: 'loopguard.stall.heartbeats_missed',
  interactionsAtRisk: 'loopguard.stall.interactions_waiting',
  codeFunction: 'code.function.name',
  codeFile: 'code.file.path',
  codeLine: 'code.line.number',
  codeColumn: 'code.column.number',
  codeStack: 'code.stacktrace',
} as const;

/** Every metric has the attributes loopguard.api, .kind, .outcome and loopguard.handler.source, .event (no ids). */
export const metric = {
  calls: { name: 'loopguard.blocking_calls', type: 'observable counter', unit: '{call}', description: 'Blocking calls made inside event handlers (strict mode: stopped ones too, with loopguard.outcome=thrown).' },
  duration: { name: 'loopguard.blocking_call.duration', type: 'histogram', unit: 's', description: 'How long each blocking call inside an event handler blocked the event loop (at hot sites above LOOPGUARD_SAMPLE_ABOVE, a random sample of their calls; loopguard.blocking_calls counts them all).' },
  acks: { name: 'loopguard.interaction_acks', type: 'counter', unit: '{interaction}', description: 'Interactions acknowledged late (after 3 s, outcome=late) or after blocking calls delayed them (outcome=delayed).' },
  stalls: { name: 'loopguard.stalls', type: 'counter', unit: '{stall}', description: 'Stalls: the event loop did not turn for LOOPGUARD_STALL_MS and no wrapped call explains it (loopguard.api: the stuck function).' },
  stallDuration: { name: 'loopguard.stall.duration', type: 'histogram', unit: 's', description: 'How long each stall held the event loop.' },
} as const;

/** Bucket boundaries (seconds) for blocking durations: from 1 ms to Discord's 3 s acknowledgement deadline and beyond. */
export const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const eventName = {
  interactionAck: 'loopguard.interaction_ack',
  stall: 'loopguard.stall',
} as const;

/** The name of a stall's span. */
export const stallSpanName = 'event loop stall';

const handlerNames = new Map<string, string>();

/** A handler attribute's name in OpenTelemetry: `guildId` → `loopguard.handler.guild_id`. */
export function handlerAttribute(key: string): string {
  let name = handlerNames.get(key);
  if (name === undefined) {
    name = attr.handler + key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    // Keys are few (the integrations' ids, track() attributes); a runaway set is not cached.
    if (handlerNames.size < 1000) handlerNames.set(key, name);
  }
  return name;
}
