import { channel } from 'node:diagnostics_channel';

/*
 * loopguard's diagnostics channels, in one place (as undici keeps its own): what other tools can
 * subscribe to with `diagnostics_channel.subscribe(name, fn)`.
 */
export const channels = {
  /** loopguard's own warnings, as text (they are also written on stderr). */
  warning: channel('loopguard:warning'),
  /** Every blocking call, interaction acknowledgement and stall as it happens (an Observation), also repeats. */
  occurrence: channel('loopguard:occurrence'),
  /** Every report as sinks get it (a new site, or an aggregate of repeats). */
  report: channel('loopguard:report'),
} as const;
