import { execFile } from 'node:child_process';

export interface ExecResult {
  readonly code: number | null;
  readonly output: string;
  /** ENOENT: the command is not on PATH. */
  readonly notFound: boolean;
}

/** Runs a short command to completion and returns its exit code and merged stdout+stderr. */
export const execCaptured = (
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {},
): Promise<ExecResult> =>
  new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        timeout: options.timeoutMs ?? 60_000,
        signal: options.signal,
        cwd: options.cwd,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error === null) {
          resolve({ code: 0, output, notFound: false });
          return;
        }
        const code = typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: output === '' ? error.message : output, notFound: error.code === 'ENOENT' });
      },
    );
  });
