import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError, abortedError, errorMessage, throwIfAborted } from './errors';
import { execCaptured } from './exec';
import { assertPortsFree, freePorts } from './free-port';
import {
  KAFKA_STARTED_LINE,
  brokerArgs,
  randomClusterId,
  renderLog4jProperties,
  renderServerProperties,
  storageFormatArgs,
  type KafkaJvmPaths,
} from './kafka-config';
import { formatCdsArgs, planBrokerCds } from './kafka-cds';
import { ensureKafkaJars } from './kafka-jars';
import { kafkaRoundTrip } from './kafka-probe';
import { fileSize, waitForLogText, withLogTail } from './log-file';
import { defaultLog, formatSeconds, stopwatch, type Log } from './log';
import { describeExit, spawnManaged, type ManagedProcess } from './managed-process';
import { sleep } from './poll';
import { requireTool } from './prerequisites';
import { createServiceControl, type ServiceControl } from './service-control';

export interface StartKafkaOptions {
  /** The run folder: kafka-data/, kafka.log, server.properties and log4j.properties go here. */
  readonly dir: string;
  /** The PLAINTEXT port; defaults to a free one. */
  readonly port?: number;
  /** The KRaft controller port; defaults to a free one. */
  readonly controllerPort?: number;
  readonly log?: Log;
  readonly signal?: AbortSignal;
  /** Let the broker outlive this process (no watchdog, no exit hooks); stop it by pid later. */
  readonly keepAlive?: boolean;
  /** Stop the broker when this process gets SIGINT/SIGTERM/SIGHUP (default true). */
  readonly handleSignals?: boolean;
  /** Budget for process start + round trip, per start and per restart (default 90 s). */
  readonly readyTimeoutMs?: number;
  /** A folder of Kafka jars to use instead of the Maven cache. */
  readonly libsDir?: string;
}

export interface KafkaHandle extends ServiceControl {
  /** 127.0.0.1:<port>, the value for KAFKA_BROKERS. */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly logFile: string;
  /** The generated server.properties (also what identifies the broker's command line). */
  readonly propertiesFile: string;
}

/** Kafka's controlled shutdown needs a few seconds; SIGKILL after this. */
const STOP_TIMEOUT_MS = 10_000;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** The given ports, and free ones (distinct from them) for those not given. */
const choosePorts = async (port?: number, controllerPort?: number): Promise<{ port: number; controllerPort: number }> => {
  if (port !== undefined && controllerPort !== undefined) return { port, controllerPort };
  const [a = 0, b = 0] = await freePorts(2);
  const chosenPort = port ?? (a === controllerPort ? b : a);
  return { port: chosenPort, controllerPort: controllerPort ?? (b === chosenPort ? a : b) };
};

/** Formats kafka-data once; a folder that already holds a formatted log (a restart) is kept. */
const formatStorage = async (paths: KafkaJvmPaths, dataDir: string, java: string, log: Log, signal?: AbortSignal): Promise<void> => {
  if (await exists(join(dataDir, 'meta.properties'))) {
    log(`kafka storage: reusing ${dataDir}`);
    return;
  }
  const elapsed = stopwatch();
  const clusterId = randomClusterId();
  const args = storageFormatArgs(paths, clusterId, await formatCdsArgs(paths.libsDir, java));
  const result = await execCaptured('java', args, { timeoutMs: 60_000, signal });
  throwIfAborted('formatting Kafka storage', signal);
  if (result.code !== 0) {
    throw new InfraError(
      'TRB_INFRA_FORMAT_FAILED',
      `kafka.tools.StorageTool format failed (exit ${String(result.code)}) for ${dataDir}: ${result.output.trim()}`,
    );
  }
  log(`kafka storage formatted in ${formatSeconds(elapsed())} (cluster id ${clusterId})`);
};

/** Retries the round trip until it succeeds, the broker exits, or the deadline passes. */
const roundTripUntil = async (brokers: string, broker: ManagedProcess, deadline: number, signal?: AbortSignal) => {
  for (;;) {
    try {
      await kafkaRoundTrip(brokers, Math.max(1_000, Math.min(30_000, deadline - Date.now())));
      return;
    } catch (error) {
      const exit = broker.exitStatus();
      if (exit !== null) throw new InfraError('TRB_INFRA_START_FAILED', `the Kafka broker ${describeExit(exit)}`);
      if (Date.now() > deadline) {
        throw new InfraError('TRB_INFRA_START_TIMEOUT', `the Kafka round trip on ${brokers} kept failing: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
    await sleep(500, signal);
  }
};

/** Starts a single-node KRaft broker on 127.0.0.1; resolves once a produce/consume round trip works. */
export const startKafka = async (options: StartKafkaOptions): Promise<KafkaHandle> => {
  const log = options.log ?? defaultLog;
  const { dir, signal } = options;
  const java = await requireTool('java');
  const sinceStart = stopwatch();
  const libsDir = options.libsDir ?? (await ensureKafkaJars({ log, signal }));
  const { port, controllerPort } = await choosePorts(options.port, options.controllerPort);
  const brokers = `127.0.0.1:${port}`;
  const dataDir = join(dir, 'kafka-data');
  const logFile = join(dir, 'kafka.log');
  const paths: KafkaJvmPaths = { libsDir, log4jFile: join(dir, 'log4j.properties'), propertiesFile: join(dir, 'server.properties') };
  await mkdir(dataDir, { recursive: true });
  await writeFile(paths.propertiesFile, renderServerProperties({ port, controllerPort, dataDir }));
  await writeFile(paths.log4jFile, renderLog4jProperties(logFile));
  await formatStorage(paths, dataDir, java, log, signal);

  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  let firstLaunch = true;
  const launch = async (): Promise<ManagedProcess> => {
    throwIfAborted('starting Kafka', signal);
    // The first start reports the whole cost (jars + format + start + round trip), a restart its own.
    const elapsed = firstLaunch ? sinceStart : stopwatch();
    firstLaunch = false;
    const deadline = Date.now() + readyTimeoutMs;
    await assertPortsFree([port, controllerPort]);
    const fromOffset = await fileSize(logFile);
    const launched = stopwatch();
    const cds = await planBrokerCds(libsDir, java, !(options.keepAlive ?? false));
    const broker = await spawnManaged({
      name: 'kafka',
      command: 'java',
      args: brokerArgs(paths, cds.jvmArgs),
      cwd: dir,
      outputFile: logFile,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      keepAlive: options.keepAlive ?? false,
      handleSignals: options.handleSignals ?? true,
      log,
      afterExit: cds.commit,
    });
    try {
      await waitForLogText(logFile, KAFKA_STARTED_LINE, {
        fromOffset,
        deadline,
        signal,
        what: `kafka did not start (budget ${formatSeconds(readyTimeoutMs)})`,
        failure: () => {
          const exit = broker.exitStatus();
          return exit === null ? null : `the broker ${describeExit(exit)}`;
        },
      });
      log(`kafka process started ("${KAFKA_STARTED_LINE}") in ${formatSeconds(launched())} (pid ${broker.pid})`);
      const roundTrip = stopwatch();
      await roundTripUntil(brokers, broker, deadline, signal);
      log(`kafka round trip (create topic, produce, consume in a group, delete topic) in ${formatSeconds(roundTrip())}`);
    } catch (error) {
      await broker.kill();
      if (signal?.aborted) throw abortedError('starting Kafka', signal);
      throw await withLogTail(error, logFile, fromOffset);
    }
    log(`kafka ready at ${brokers} in ${formatSeconds(elapsed())}`);
    return broker;
  };

  const control = await createServiceControl(launch);
  return Object.assign(control, { brokers, port, controllerPort, dir, logFile, propertiesFile: paths.propertiesFile });
};
