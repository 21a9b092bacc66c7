/*
 * Runs `close` once when the process ends normally: at 'exit' (the loop ran dry, process.exit(),
 * an uncaught exception). Never on a signal: a handler for SIGINT/SIGTERM/SIGHUP would change how
 * and how fast the process dies (a spinning or blocked main thread could not be stopped, and
 * signal-exit's "last listener" rule would keep it alive). Reports do not need one: loopguard's
 * thread has written them already.
 */
export function onProcessEnd(close: () => void): () => void {
  process.once('exit', close);
  return () => {
    process.removeListener('exit', close);
  };
}
