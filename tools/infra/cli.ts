import { resolve } from 'node:path';
import { parseCliArgs, USAGE } from './cli-args';
import type { CliContext } from './cli-context';
import { cliDown } from './cli-down';
import { cliRun } from './cli-run';
import { cliStatus } from './cli-status';
import { cliUp } from './cli-up';
import { InfraError } from './errors';
import { defaultLog } from './log';
import { defaultStateDir } from './paths';

/** Entry point: `tsx tools/infra/cli.ts [--state-dir <dir>] <up|down|status|run -- cmd...>`. See USAGE in cli-args.ts. */

const EXIT_USAGE = 2;

const main = async (argv: readonly string[]): Promise<number> => {
  const { stateDir, command } = parseCliArgs(argv);
  const context: CliContext = {
    stateDir: stateDir === null ? defaultStateDir() : resolve(stateDir),
    log: defaultLog,
    print: (line) => process.stdout.write(`${line}\n`),
  };
  switch (command.kind) {
    case 'up':
      return cliUp(context);
    case 'down':
      return cliDown(context);
    case 'status':
      return cliStatus(context);
    case 'run':
      return cliRun(context, command.command, command.args);
    case 'help':
      context.print(USAGE);
      return 0;
    case 'invalid':
      process.stderr.write(`[infra] ${command.message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
  }
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof InfraError ? `[infra] ${error.code}: ${error.message}\n` : `[infra] unexpected error: ${String((error as Error).stack ?? error)}\n`,
    );
    process.exit(error instanceof InfraError && error.code === 'TRB_INFRA_ABORTED' ? 130 : 1);
  },
);
