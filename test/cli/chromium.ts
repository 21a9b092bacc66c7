import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Headless Chromium (Debian's package, installed by scripts/system-deps.sh) opening a local page,
 * with every background download turned off: the page must render with no network.
 */

const flags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'loopguard-chromium-'));
  return new Promise<string>((resolve, reject) => {
    execFile('chromium', [...flags, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (error !== null) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new Error(missing ? 'chromium is not installed: run scripts/system-deps.sh' : `chromium failed: ${error.message}\n${stderr}`));
      } else resolve(stdout);
    });
  });
}

/** The page's DOM after it loaded, serialized. */
export const dumpDom = (file: string): Promise<string> => chromium(['--dump-dom', pathToFileURL(file).href]);

/** A PNG screenshot of the page at 1280×1600. */
export async function screenshot(file: string, png: string): Promise<void> {
  await chromium([`--screenshot=${png}`, '--window-size=1280,1600', '--hide-scrollbars', pathToFileURL(file).href]);
}

/** Width and height from a PNG's IHDR chunk (throws when it is no PNG). */
export function pngSize(png: string): { width: number; height: number; bytes: number } {
  const data = readFileSync(png);
  if (data.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a' || data.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error(`${png} is not a PNG`);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bytes: data.length };
}

/** The page's visible text, roughly: the DOM without tags, entities decoded. */
export function textOf(dom: string): string {
  return dom.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
