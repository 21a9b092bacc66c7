/*
 * dist/boot.js: what the entry points load their bundle with (scripts/build.js), a file of its own
 * since it runs before the bundle is read. See core/bundle-loader.ts.
 */
export { loadBundle } from './core/bundle-loader';
