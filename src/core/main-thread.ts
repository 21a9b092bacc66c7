import { nodeLoadList } from './modules';

/*
 * Whether this is the process' main thread, told without loading node:worker_threads at start-up
 * (it loads Node's streams: about 1 ms and 50 KB of young generation): Node's bootstrap of every
 * worker thread (Node 20 to 26; its module loader hooks thread too) loads this module, the main
 * thread's never. Where Node keeps no list of what it loaded (Bun), worker_threads says.
 */
const workerOnly = 'NativeModule internal/process/worker_thread_only';

export const isMainThread: boolean = nodeLoadList.length > 0
  ? !nodeLoadList.includes(workerOnly)
  : (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
