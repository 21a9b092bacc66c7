import { afterWrites } from './async-writer';

/*
 * Runs `close` once when the process ends: at 'exit', and on SIGINT/SIGTERM/SIGHUP when the app
 * has no handler of its own for them (Node would then die without an 'exit' event, losing the
 * summary and queued report lines). After closing, and once the report lines already in libuv's
 * thread pool are written (a signal's death would drop them; at most `settleMs`), the signal is
 * raised again with loopguard's listener gone, so the process ends as it would have.
 */

const settleMs = 1000;

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function onProcessEnd(close: () => void): () => void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    close();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // the app handles it and exits its own way
    once();
    remove();
    let raised = false;
    const raise = (): void => {
      if (raised) return;
      raised = true;
      clearTimeout(timer);
      process.kill(process.pid, signal);
    };
    const timer = setTimeout(raise, settleMs);
    afterWrites(raise);
  };
  const remove = () => {
    process.removeListener('exit', once);
    for (const s of signals) process.removeListener(s, onSignal);
  };
  process.once('exit', once);
  for (const s of signals) process.on(s, onSignal);
  return remove;
}
