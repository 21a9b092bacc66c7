/*
 * The preload: `node -r loopguard/register app.js` or `node --import loopguard/register app.mjs`.
 * Reads LOOPGUARD_* variables and wraps the blocking APIs before the application runs. An invalid
 * variable stops the process here with one line that names it and the accepted values.
 */
import { ConfigError, settingsFromEnv } from './config';
import { install } from './guard/install';

try {
  install(settingsFromEnv(process.env));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
