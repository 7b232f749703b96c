#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run infra`. Plain JavaScript with no
// dependencies, so it runs on a fresh clone: it installs the locked dependencies when they are
// missing or stale, then hands over to the TypeScript tool (run with tsx) in the same process tree.
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const commands = {
  start: 'tools/start.ts',
  test: 'tools/test.ts',
  infra: 'tools/infra/cli.ts',
};

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`Tributary needs Node.js 20 or newer; this is ${process.version}.`);
  process.exit(1);
}

const [command, ...args] = process.argv.slice(2);
const script = commands[command];
if (!script) {
  console.error(`usage: node tools/bootstrap.mjs <${Object.keys(commands).join('|')}> [args…]`);
  process.exit(2);
}

ensureDependencies();

const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], {
  cwd: root,
  stdio: 'inherit',
});
// The child owns the work; pass signals on and leave when it does.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));

function ensureDependencies() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.tributary-lock.sha256');
  const hash = () => createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash()) return;
  const started = Date.now();
  // `npm install` follows package-lock.json like `npm ci` would, but tolerates a lock that lacks other
  // platforms' optional binaries (registries mirroring only this platform cannot provide them).
  console.error('[bootstrap] installing the locked dependencies (npm install) …');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[bootstrap] npm install failed: fix the error above, then run the command again.');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, hash());
  console.error(`[bootstrap] dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
