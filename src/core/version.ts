/** loopguard's version, from its package.json (read once). */
export const version: string = (require('../../package.json') as { version: string }).version;
