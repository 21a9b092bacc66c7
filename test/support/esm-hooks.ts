import { createRequire } from 'node:module';

const require = createRequire(__filename);

/**
 * Whether this Node runs module hooks in-thread (22.15 and newer): only there does loopguard hook
 * the ES module builds of @discordjs/core, bcryptjs and enmap (see src/guard/esm-hooks.ts).
 */
export const inThreadEsmHooks: boolean = (require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean }).supportsSyncHooks();
