/*
 * loopguard/testing: a local Discord gateway and REST emulator for bot test suites and demos.
 */
export { GatewayEmulator } from './gateway-emulator';
export type { Acknowledgement, DispatchOptions, EmulatorOptions, RestCall } from './gateway-emulator';
export { guild, user } from './fixtures';
export type { ChannelObject, CommandSpec, GuildSpec, MessageObject, UserObject } from './fixtures';
export type { RestFile } from './emulator/request-body';
export { shardOf, snowflake } from './snowflake';
export { BotProcess, preloadArgs } from './bot-process';
export type { BotExit, BotProcessOptions } from './bot-process';
export { BlockedDuringTestError, guardTests } from './test-guard';
export type { TestGuardOptions, TestHooks } from './test-guard';
