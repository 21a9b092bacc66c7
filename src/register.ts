/*
 * The preload: `node -r loopguard/register app.js` or `node --import loopguard/register app.mjs`.
 * Reads LOOPGUARD_* variables and wraps the blocking APIs before the application runs. An invalid
 * variable stops the process here with one line that names it and the accepted values.
 */
import { preload } from './runtime/preload';

preload();
