/** Undoes one thing loopguard installed. */
export type Undo = () => void;

/**
 * What was installed, undone in reverse order: the only record `uninstall()` needs. An undo that
 * throws is handed to `onError` and the others still run.
 */
export class UndoStack {
  private undos: Undo[] = [];

  push(undo: Undo | undefined): void {
    if (undo !== undefined) this.undos.push(undo);
  }

  get size(): number {
    return this.undos.length;
  }

  run(onError: (error: unknown) => void = () => {}): void {
    const undos = this.undos;
    this.undos = [];
    for (let i = undos.length - 1; i >= 0; i--) {
      try {
        (undos[i] as Undo)();
      } catch (error) {
        onError(error);
      }
    }
  }
}
