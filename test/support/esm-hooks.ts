import { createRequire } from 'node:module';

const require = createRequire(__filename);

/**
 * Whether this Node runs module hooks in-thread (22.22.3+, 24.11.1+, 25.1+): only there does loopguard hook
 * the ES module builds of @discordjs/core, bcryptjs and enmap (see src/hooks/esm-packages.ts).
 */
export const inThreadEsmHooks: boolean = (require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean }).supportsSyncHooks();
