import type { CliContext } from './cli-context';
import { onTerminationSignals } from './cli-context';
import { renderExportLine } from './infra-env';
import { stateFilePath } from './paths';
import { allRunning, stopRecordedServices } from './recorded-services';
import { startInfra, type InfraHandle } from './start-infra';
import { readStateFile, removeStateFile, writeStateFile, type InfraState } from './state-file';

const toState = (infra: InfraHandle): InfraState => ({
  version: 1,
  createdAt: new Date().toISOString(),
  runDir: infra.runDir,
  env: infra.env,
  kafka:
    infra.kafka === null
      ? { owned: false }
      : {
          owned: true,
          pid: infra.kafka.pid,
          port: infra.kafka.port,
          controllerPort: infra.kafka.controllerPort,
          propertiesFile: infra.kafka.propertiesFile,
          logFile: infra.kafka.logFile,
        },
  redis: infra.redis === null ? { owned: false } : { owned: true, pid: infra.redis.pid, port: infra.redis.port, logFile: infra.redis.logFile },
});

/** `up`: starts services that outlive this command and records them in infra.json. */
export const cliUp = async ({ stateDir, log, print }: CliContext): Promise<number> => {
  const file = stateFilePath(stateDir);
  const existing = await readStateFile(file);
  if (existing !== null) {
    if (allRunning(existing)) {
      log(`already up since ${existing.createdAt} (${file}); stop it with: tsx tools/infra/cli.ts down`);
      print(renderExportLine(existing.env));
      return 0;
    }
    log(`${file} describes services that no longer run: cleaning up before starting again`);
    await stopRecordedServices(existing, log);
    await removeStateFile(file);
  }

  const aborter = new AbortController();
  const stopListening = onTerminationSignals((signal) => aborter.abort(new Error(`${signal} received`)));
  try {
    const infra = await startInfra({ stateDir, log, signal: aborter.signal, keepAlive: true, handleSignals: false });
    try {
      await writeStateFile(file, toState(infra));
    } catch (error) {
      await infra.stop();
      throw error;
    }
    log(`up: recorded in ${file}; stop it with: tsx tools/infra/cli.ts down`);
    print(renderExportLine(infra.env));
    return 0;
  } finally {
    stopListening();
  }
};
