import { onBun } from '../core/bun';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { isBuiltinLoaded, onBuiltinLoad } from '../core/modules';
import type { Undo } from '../core/undo';
import type { Guard } from '../guard/guard';
import { publishSlots } from '../thread/protocol';

/*
 * The app's worker threads find the slots of loopguard's thread in Node's environment data as
 * they start (thread/protocol.ts' publishSlots), and setting it loads node:worker_threads: about
 * 1 ms and 50 KB at start-up (5 ms on Node 20, with the streams it loads) that a process which
 * starts no worker thread (`node -e`, an ES module app, npm or tsc under a NODE_OPTIONS preload)
 * need not pay. No worker thread starts before that module is loaded, so the slots are published
 * as Node loads it (core/modules.ts' onBuiltinLoad): before the require(), the
 * process.getBuiltinModule() or the ES module that loaded it has it, also a static import of it in
 * an ES module that starts a worker as it is evaluated. At once on Bun, which says no load, and
 * when it is loaded already; and when reporting starts (its thread loads it anyway).
 */

export interface SlotsPublisher {
  /** Publishes now, if not yet. */
  publish(): void;
  /** Stops waiting, and takes the slots back from the environment data. */
  readonly undo: Undo;
}

export function slotsPublisher(guard: Guard, shared: Int32Array): SlotsPublisher {
  let unpublish: Undo | undefined;
  const waits: Undo[] = [];
  const publish = (): void => {
    if (unpublish !== undefined || !isMainThread) return;
    for (const stop of waits.splice(0)) stop();
    try {
      // Often inside a handler (its import(), its require()): loading worker_threads is loopguard's own work.
      unpublish = outsideHandlers(() => publishSlots(shared));
    } catch (error) {
      unpublish = () => {};
      guard.bus.fail(error, 'sharing the slots of loopguard\'s thread with worker threads');
    }
  };
  if (onBun || isBuiltinLoaded('worker_threads')) publish();
  else if (isMainThread) {
    waits.push(onBuiltinLoad((name) => {
      if (name === 'worker_threads') publish();
    }));
  }
  return {
    publish,
    undo() {
      for (const stop of waits.splice(0)) stop();
      unpublish?.();
      unpublish = undefined;
    },
  };
}
