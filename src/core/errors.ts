/** A setting or option with a value loopguard does not accept. The message is one line naming both. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_LOOPGUARD_CONFIG';
  constructor(readonly setting: string, message: string) {
    super(message);
  }
}

/** BlockingCallError's code: what strict mode throws (of this or another copy of loopguard). */
export const blockingCallCode = 'ERR_LOOPGUARD_BLOCKING_CALL';

export function isBlockingCallError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === blockingCallCode;
}
