import { InfraError } from './errors';
import { execCaptured } from './exec';

const HINTS = {
  java: 'Kafka 3.9.1 runs on a Java 17 runtime: install one (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`, macOS: `brew install openjdk@17`) and make sure `java` is on PATH',
  mvn: 'Maven downloads the Kafka jars once into the user cache: install it (Debian/Ubuntu: `sudo apt-get install maven`, macOS: `brew install maven`) and make sure `mvn` is on PATH',
  'redis-server': 'Redis 7 must be installed: `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), and `redis-server` must be on PATH',
} as const;

export type RequiredTool = keyof typeof HINTS;

const VERSION_ARGS: Record<RequiredTool, readonly string[]> = {
  java: ['-version'],
  mvn: ['-v', '-B'],
  'redis-server': ['--version'],
};

const checked = new Map<RequiredTool, Promise<string>>();

const check = async (tool: RequiredTool): Promise<string> => {
  const result = await execCaptured(tool, VERSION_ARGS[tool], { timeoutMs: 30_000 });
  if (result.notFound) {
    throw new InfraError('TRB_INFRA_MISSING_TOOL', `\`${tool}\` was not found on PATH. ${HINTS[tool]}.`);
  }
  if (result.code !== 0) {
    throw new InfraError(
      'TRB_INFRA_MISSING_TOOL',
      `\`${tool} ${VERSION_ARGS[tool].join(' ')}\` failed (exit ${String(result.code)}): ${result.output.trim()}\n${HINTS[tool]}.`,
    );
  }
  return firstLine(result.output);
};

// eslint-disable-next-line no-control-regex -- strips the ANSI colours Maven prints even with -B
const firstLine = (output: string): string => output.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n')[0] ?? '';

/**
 * Checks once per process that `tool` runs, and returns the first line of its version output.
 * Throws TRB_INFRA_MISSING_TOOL naming the tool and how to install it.
 */
export const requireTool = (tool: RequiredTool): Promise<string> => {
  let pending = checked.get(tool);
  if (pending === undefined) {
    pending = check(tool);
    pending.catch(() => checked.delete(tool));
    checked.set(tool, pending);
  }
  return pending;
};
