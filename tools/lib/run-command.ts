import { spawn } from 'node:child_process';

export type StepResult = { name: string; code: number; seconds: number };

/**
 * Runs one command with inherited stdio and returns its exit code and duration. SIGINT/SIGTERM
 * received meanwhile are passed on to it, so Ctrl-C stops the whole tree.
 */
export function runCommand(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<StepResult> {
  const started = performance.now();
  process.stderr.write(`\n▶ ${name}: ${command} ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: options.env ?? process.env, cwd: options.cwd });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const done = (code: number) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve({ name, code, seconds: (performance.now() - started) / 1000 });
    };
    child.on('error', (err) => {
      process.stderr.write(`${name}: cannot run ${command}: ${err.message}\n`);
      done(127);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 130 : 1)));
  });
}

/** Prints a small table of steps, their outcome and duration. */
export function printSummary(title: string, steps: readonly StepResult[]): void {
  const width = Math.max(...steps.map((s) => s.name.length), 4);
  const lines = steps.map(
    (s) => `  ${s.name.padEnd(width)}  ${s.code === 0 ? 'ok    ' : `FAILED (exit ${s.code})`}  ${s.seconds.toFixed(1).padStart(6)} s`,
  );
  const total = steps.reduce((sum, s) => sum + s.seconds, 0);
  process.stderr.write(`\n${title}\n${lines.join('\n')}\n  ${'total'.padEnd(width)}          ${total.toFixed(1).padStart(6)} s\n`);
}
