import type { CliContext } from './cli-context';
import { stateFilePath } from './paths';
import { stopRecordedServices } from './recorded-services';
import { readStateFile, removeStateFile } from './state-file';

/** `down`: stops exactly what infra.json records (each pid checked to still be ours), then removes it. */
export const cliDown = async ({ stateDir, log }: CliContext): Promise<number> => {
  const file = stateFilePath(stateDir);
  const state = await readStateFile(file);
  if (state === null) {
    log(`nothing to stop: ${file} does not exist`);
    return 0;
  }
  await stopRecordedServices(state, log);
  await removeStateFile(file);
  log('down');
  return 0;
};
