import type { CliContext } from './cli-context';
import { renderExportLine } from './infra-env';
import { stateFilePath } from './paths';
import { describeServices } from './recorded-services';
import { readStateFile } from './state-file';

export const EXIT_NOT_UP = 3;

/** `status`: what infra.json records and whether it still runs. Exit 0 if up, 3 if not. */
export const cliStatus = async ({ stateDir, print }: CliContext): Promise<number> => {
  const file = stateFilePath(stateDir);
  const state = await readStateFile(file);
  if (state === null) {
    print(`infra is not up (${file} does not exist); start it with: tsx tools/infra/cli.ts up`);
    return EXIT_NOT_UP;
  }
  const services = describeServices(state);
  for (const { service, running, description } of services) {
    print(`${service.padEnd(6)}${(running ? 'running' : 'NOT RUNNING').padEnd(13)}${description}`);
  }
  const up = services.every((status) => status.running);
  print(up ? renderExportLine(state.env) : 'infra is not (fully) up: run `tsx tools/infra/cli.ts down` then `up`');
  return up ? 0 : EXIT_NOT_UP;
};
