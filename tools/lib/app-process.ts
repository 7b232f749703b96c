import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export type AppSpec = { name: string; entry: string; healthUrl: string };

/**
 * Starts one app as its own Node process running its TypeScript entry through tsx, its output on
 * this terminal or, given `output`, into that stream (which stays open for the next start).
 */
export function startApp(spec: AppSpec, env: NodeJS.ProcessEnv, options: { cwd?: string; output?: Writable } = {}): ChildProcess {
  const { output, cwd } = options;
  const child = spawn(process.execPath, ['--import', 'tsx', spec.entry], { stdio: output ? ['ignore', 'pipe', 'pipe'] : 'inherit', env, ...(cwd ? { cwd } : {}) });
  child.stdout?.pipe(output as Writable, { end: false });
  child.stderr?.pipe(output as Writable, { end: false });
  return child;
}

/** Polls the app's health URL until it answers 200, the process exits, or the time is up. */
export async function waitHealthy(spec: AppSpec, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before it was healthy; see its log above`);
    }
    try {
      const res = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${spec.name} did not answer ${spec.healthUrl} within ${timeoutMs / 1000} s`);
}

/** SIGTERM, then SIGKILL if the app has not exited after `graceMs`. */
export async function stopApp(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
