/*
 * The one place where loopguard throws an app's error again (after core/error-stacks.ts'
 * withoutOwnFrames). Node prints the line of the last throw above an uncaught error's stack (V8
 * keeps no earlier one through a catch), so this line says on it what it is. It stays a file of its
 * own beside the bundle (scripts/build.js): a bundler drops comments.
 */
export function rethrow(error: unknown): never {
  throw error; // loopguard passes on this error unchanged: its stack below shows where it was thrown
}
