import { channel } from 'node:diagnostics_channel';

/*
 * loopguard's diagnostics channels, in one place (as undici keeps its own): what other tools and
 * tests can subscribe to with `diagnostics_channel.subscribe(name, fn)`.
 */
export const channels = {
  /** loopguard's own warnings, as text (they are also written on stderr). */
  warning: channel('loopguard:warning'),
} as const;
