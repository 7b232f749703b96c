/** The command line of tools/infra/cli.ts, parsed without side effects. */

export type CliCommand =
  | { readonly kind: 'up' }
  | { readonly kind: 'down' }
  | { readonly kind: 'status' }
  | { readonly kind: 'run'; readonly command: string; readonly args: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly message: string };

export interface ParsedCli {
  /** --state-dir: where infra.json and the run folders live (default <repo>/.tributary). */
  readonly stateDir: string | null;
  readonly command: CliCommand;
}

export const USAGE = `Usage: tsx tools/infra/cli.ts [--state-dir <dir>] <command>

Gives commands a real Kafka 3.9.1 broker and a real Redis 7, with nothing to install by hand
(needs java, redis-server, and mvn for the one-time jar download). KAFKA_BROKERS / REDIS_URL, when set,
name services to use instead of starting them.

Commands:
  up                     start Kafka and Redis in the background, write .tributary/infra.json and
                         print "export KAFKA_BROKERS=... REDIS_URL=..." (eval "$(... up)" to use it)
  down                   stop what "up" started and remove .tributary/infra.json
  status                 show what "up" started; exit code 0 if it is running, 3 if not
  run -- <cmd> [args]    run a command with KAFKA_BROKERS and REDIS_URL set: reuses "up" services if they
                         run, else starts its own and stops them afterwards; exits with the command's code
  help                   show this text

Options:
  --state-dir <dir>      keep infra.json and run folders there instead of <repo>/.tributary`;

const NO_ARGUMENTS: ReadonlySet<string> = new Set(['up', 'down', 'status']);

/** Options come before the command; everything after `run` belongs to the command being run. */
export const parseCliArgs = (argv: readonly string[]): ParsedCli => {
  let stateDir: string | null = null;
  let index = 0;
  for (; argv[index]?.startsWith('--state-dir') === true; index += 1) {
    const option = argv[index] ?? '';
    const value = option.includes('=') ? option.slice(option.indexOf('=') + 1) : argv[(index += 1)];
    if (value === undefined || value === '') {
      return { stateDir, command: { kind: 'invalid', message: '--state-dir needs a folder: --state-dir <dir>' } };
    }
    stateDir = value;
  }
  return { stateDir, command: parseCommand(argv.slice(index)) };
};

const parseCommand = (argv: readonly string[]): CliCommand => {
  const [name, ...rest] = argv;
  if (name === undefined) return { kind: 'invalid', message: 'no command given' };
  if (name === 'help' || name === '--help' || name === '-h') return { kind: 'help' };
  if (NO_ARGUMENTS.has(name)) {
    if (rest.length > 0) return { kind: 'invalid', message: `"${name}" takes no arguments, got: ${rest.join(' ')}` };
    return { kind: name as 'up' | 'down' | 'status' };
  }
  if (name === 'run') {
    const [command, ...args] = rest[0] === '--' ? rest.slice(1) : rest;
    if (command === undefined || command === '') {
      return { kind: 'invalid', message: 'run needs a command: run -- <command> [args...]' };
    }
    return { kind: 'run', command, args };
  }
  return { kind: 'invalid', message: `unknown command "${name}"` };
};
