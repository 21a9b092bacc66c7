import { nodeApis } from './node';
import { packageApis } from './packages';
import type { ApiEntry } from './types';

/**
 * Every blocking API loopguard knows: Node's, then the npm packages' (the README's table). Entries
 * of packages that wrap another also carry `over`, the old name of `wraps`, for one release.
 */
export const apiTable: readonly ApiEntry[] = [...nodeApis, ...packageApis].map((e) => (e.wraps === undefined ? e : { ...e, over: e.wraps }));
