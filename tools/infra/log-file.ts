import { open, stat } from 'node:fs/promises';
import { InfraError, errorMessage } from './errors';
import { sleep } from './poll';

/** The size of `file` in bytes, 0 if it does not exist yet. */
export const fileSize = async (file: string): Promise<number> => {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
};

const readRange = async (file: string, from: number, to: number): Promise<string> => {
  if (to <= from) return '';
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
};

/** The last `count` lines of `file` (reads at most its last 256 KB), or a note if it is missing. */
export const tailLines = async (file: string, count = 40): Promise<string> => {
  const size = await fileSize(file);
  if (size === 0) return `(${file} is empty or missing)`;
  const text = await readRange(file, Math.max(0, size - 256 * 1024), size);
  return text.replace(/\n$/, '').split('\n').slice(-count).join('\n');
};

export interface WaitForLogTextOptions {
  /** Only text written after this byte offset counts (a restarted service appends to its old log). */
  readonly fromOffset: number;
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** Checked on every poll: a returned reason (e.g. "the process exited") ends the wait with an error. */
  readonly failure: () => string | null;
  readonly what: string;
}

/** Polls `file` every 100 ms until `text` appears after `fromOffset`. */
export const waitForLogText = async (file: string, text: string, options: WaitForLogTextOptions): Promise<void> => {
  let offset = options.fromOffset;
  let carry = '';
  for (;;) {
    const size = await fileSize(file);
    if (size > offset) {
      const chunk = carry + (await readRange(file, offset, size));
      if (chunk.includes(text)) return;
      carry = chunk.slice(-text.length);
      offset = size;
    }
    const reason = options.failure();
    if (reason !== null) throw new InfraError('TRB_INFRA_START_FAILED', `${options.what}: ${reason}`);
    if (Date.now() > options.deadline) {
      throw new InfraError('TRB_INFRA_START_TIMEOUT', `${options.what}: "${text}" did not appear in ${file} before the deadline`);
    }
    await sleep(100, options.signal);
  }
};

const PROBLEM_LINE = /\b(ERROR|FATAL)\b|Exception:|Address already in use/;

/** The first `max` lines that report a problem, from `fromOffset` on (the cause is often far above the tail). */
export const problemLines = async (file: string, fromOffset = 0, max = 8): Promise<string[]> => {
  const size = await fileSize(file);
  const text = await readRange(file, Math.max(fromOffset, size - 4 * 1024 * 1024), size);
  return text
    .split('\n')
    .filter((line) => PROBLEM_LINE.test(line))
    .slice(0, max);
};

/**
 * The same failure, its message followed by the first problem lines and the last `lines` lines of the
 * service's log, so the cause is visible without opening the file.
 */
export const withLogTail = async (error: unknown, logFile: string, fromOffset = 0, lines = 40): Promise<InfraError> => {
  const problems = await problemLines(logFile, fromOffset);
  const problemSection = problems.length === 0 ? '' : `\nFirst problems logged:\n${problems.join('\n')}`;
  return new InfraError(
    error instanceof InfraError ? error.code : 'TRB_INFRA_START_FAILED',
    `${errorMessage(error)}${problemSection}\nLast ${lines} lines of ${logFile}:\n${await tailLines(logFile, lines)}`,
    { cause: error },
  );
};
