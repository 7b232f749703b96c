import { spawnSync } from 'node:child_process';

/**
 * Which command validates docker-compose.yml here: Debian's `docker-compose` (1.29, no engine
 * needed for `config`), or the `docker compose` plugin. Undefined when neither is installed.
 */
export function findComposeCommand(): { command: string; args: string[] } | undefined {
  const probe = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (probe('docker-compose', ['version'])) return { command: 'docker-compose', args: [] };
  if (probe('docker', ['compose', 'version'])) return { command: 'docker', args: ['compose'] };
  return undefined;
}
