import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { onTerminationSignals, type CliContext } from './cli-context';
import { givenValue, type InfraEnv } from './infra-env';
import { repoRoot, stateFilePath } from './paths';
import { allRunning } from './recorded-services';
import { startInfra, type InfraHandle } from './start-infra';
import { readStateFile } from './state-file';

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));

/** The services of a running `up`, unless KAFKA_BROKERS / REDIS_URL say otherwise. */
const reusableEnv = async ({ stateDir, log }: CliContext): Promise<InfraEnv | null> => {
  if (givenValue(process.env['KAFKA_BROKERS']) !== null || givenValue(process.env['REDIS_URL']) !== null) return null;
  const file = stateFilePath(stateDir);
  const state = await readStateFile(file);
  if (state === null) return null;
  if (!allRunning(state)) {
    log(`${file} is stale (its services no longer run; \`tsx tools/infra/cli.ts down\` cleans it up): starting new ones`);
    return null;
  }
  log(`using the services of \`up\` (${file}); they keep running afterwards`);
  return state.env;
};

/**
 * `run -- <command>`: runs the command with KAFKA_BROKERS and REDIS_URL, forwarding SIGINT/SIGTERM/SIGHUP
 * to it, then stops the services it started and exits with the command's code.
 */
export const cliRun = async (context: CliContext, command: string, args: readonly string[]): Promise<number> => {
  const { log } = context;
  const aborter = new AbortController();
  let child: ReturnType<typeof spawn> | null = null;
  let stopping = false;
  const stopListening = onTerminationSignals((signal) => {
    if (stopping) {
      log(`${signal} while stopping: exiting now (the services' watchdogs finish the job)`);
      process.exit(exitCodeOf(null, signal));
    }
    if (child === null) aborter.abort(new Error(`${signal} received`));
    else child.kill(signal);
  });

  let infra: InfraHandle | null = null;
  try {
    let env = await reusableEnv(context);
    if (env === null) {
      infra = await startInfra({ stateDir: context.stateDir, log, signal: aborter.signal, handleSignals: false });
      env = infra.env;
    }
    const path = [join(repoRoot(), 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(delimiter);
    log(`$ ${[command, ...args].join(' ')}`);
    const started = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env, PATH: path } });
    child = started;
    return await new Promise<number>((resolve) => {
      started.once('error', (error: NodeJS.ErrnoException) => {
        log(error.code === 'ENOENT' ? `command not found: ${command}` : `could not run ${command}: ${error.message}`);
        resolve(error.code === 'ENOENT' ? 127 : 126);
      });
      started.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
  } finally {
    stopping = true;
    try {
      await infra?.stop();
    } finally {
      stopListening();
    }
  }
};
