import { nodeApis } from './node';
import { packageApis } from './packages';
import type { ApiEntry } from './types';

/** Every blocking API loopguard knows: Node's, then the npm packages' (the README's table). */
export const apiTable: readonly ApiEntry[] = [...nodeApis, ...packageApis];
