/*
 * Runs `close` once when the process ends: at 'exit', and on SIGINT/SIGTERM/SIGHUP when the app
 * has no handler of its own for them (Node would then die without an 'exit' event, losing the
 * summary and queued report lines). After closing, the signal is raised again with loopguard's
 * listener gone, so the process ends exactly as it would have.
 */

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
    process.kill(process.pid, signal);
  };
  const remove = () => {
    process.removeListener('exit', once);
    for (const s of signals) process.removeListener(s, onSignal);
  };
  process.once('exit', once);
  for (const s of signals) process.on(s, onSignal);
  return remove;
}
