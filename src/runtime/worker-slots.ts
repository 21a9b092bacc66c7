import { onBun } from '../core/bun';
import { outsideHandlers } from '../core/context';
import { isMainThread } from '../core/main-thread';
import { builtinsLoadedSince, isBuiltinLoaded, moduleChannels, nodeLoadList, onImport } from '../core/modules';
import type { Undo } from '../core/undo';
import type { Guard } from '../guard/guard';
import { publishSlots } from '../thread/protocol';

/*
 * The app's worker threads find the slots of loopguard's thread in Node's environment data as
 * they start (thread/protocol.ts' publishSlots), and setting it loads node:worker_threads: about
 * 1 ms and 50 KB at start-up that a process which starts no worker thread (`node -e`, npm or tsc
 * under a NODE_OPTIONS preload) need not pay. No worker thread starts before that module is
 * loaded, so the slots are published the moment it may be:
 * - at once where loopguard cannot see every load of it: on Bun, and on Node without module
 *   channels (20, 22 before 22.15), where an import() is not seen; and when it is loaded already;
 * - else after the require() or process.getBuiltinModule() that loaded it, before it returns,
 *   also a require() of an ES module that imported it (require of ESM, Node 22.12+);
 * - before the first import() Node starts (the entry's too, if it is an ES module): an ES
 *   module may import it, and start a worker while it is evaluated;
 * - when a bot library loads, and when reporting starts (its thread loads it anyway).
 * What is left unseen: a worker that an ES module starts while it is evaluated, loaded by
 * require() before any bot library. That worker writes its report lines itself, through a
 * loopguard thread of its own, as workers did before the slots were shared.
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
  if (onBun || !moduleChannels || isBuiltinLoaded('worker_threads')) publish();
  else if (isMainThread) {
    // It was not loaded at install: a load of it grows Node's list, so the list is looked at only then.
    let seen = nodeLoadList.length;
    waits.push(guard.loadListeners.add(() => {
      if (nodeLoadList.length === seen) return;
      let loaded = false;
      seen = builtinsLoadedSince(seen, (name) => {
        loaded ||= name === 'worker_threads';
      });
      if (loaded) publish();
    }));
    waits.push(onImport(publish));
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
