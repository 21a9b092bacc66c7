/*
 * What Discord itself decides, in one place: the emulator (loopguard/testing) uses the same.
 */

/** An interaction not acknowledged within this long is dropped: the user sees "The application did not respond". */
export const interactionDeadlineMs = 3000;
/** Discord forgets an interaction's token after 15 minutes: past that it is at no risk. */
export const interactionLifetimeMs = 15 * 60_000;
/** Discord's epoch (2015-01-01), the zero of snowflake timestamps. */
export const discordEpoch = 1420070400000;
