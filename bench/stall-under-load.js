// The stall tests, again and again, while four busy loops load this machine's two cores: a host
// that keeps the main thread waiting for a CPU must not make stalls of its own (see watchdog.ts,
// schedstat). Prints each run's outcome and the count.
//   npm run bench:stall-load            (RUNS=20 by default)
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const runs = Number(process.env.RUNS ?? 20);
const root = path.join(__dirname, '..');
const loops = Array.from({ length: 4 }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
const stop = () => loops.forEach((l) => l.kill('SIGKILL'));
process.on('exit', stop);

let passed = 0;
for (let i = 1; i <= runs; i++) {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/watchdog/stall.test.ts', 'test/e2e/stall.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '' } });
  const ok = run.status === 0;
  if (ok) passed++;
  const plain = (run.stdout + run.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  const failed = ok ? '' : ` — ${[...new Set(plain.match(/FAIL .*|(?:Assertion)?Error: .*/g) ?? [])].join('; ')}`;
  console.log(`run ${i}: ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s${failed}`);
}
console.log(`${passed} of ${runs} runs passed with 4 busy loops on ${require('node:os').cpus().length} cores`);
stop();
process.exitCode = passed === runs ? 0 : 1;
