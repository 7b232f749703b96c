import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { InfraError, errorMessage } from './errors';
import type { InfraEnv } from './infra-env';
import { isAlive, readCommandLine } from './process-control';

/** .tributary/infra.json: what `cli up` started, so `down`, `status` and `run` find it again. */

export interface OwnedKafkaRecord {
  readonly owned: true;
  readonly pid: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly propertiesFile: string;
  readonly logFile: string;
}

export interface OwnedRedisRecord {
  readonly owned: true;
  readonly pid: number;
  readonly port: number;
  readonly logFile: string;
}

export interface GivenRecord {
  readonly owned: false;
}

export interface InfraState {
  readonly version: 1;
  readonly createdAt: string;
  /** The run folder holding the owned services' data and logs; null if nothing is owned. */
  readonly runDir: string | null;
  readonly env: InfraEnv;
  readonly kafka: OwnedKafkaRecord | GivenRecord;
  readonly redis: OwnedRedisRecord | GivenRecord;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isPid = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 1;

const validService = (value: unknown, extra: readonly string[]): boolean => {
  if (!isRecord(value)) return false;
  if (value['owned'] === false) return true;
  return value['owned'] === true && isPid(value['pid']) && typeof value['port'] === 'number' && extra.every((key) => key in value);
};

/** Parses infra.json; throws a plain Error saying what is wrong. */
export const parseInfraState = (text: string): InfraState => {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value) || value['version'] !== 1) throw new Error('not a version 1 infra.json');
  const env = value['env'];
  if (!isRecord(env) || typeof env['KAFKA_BROKERS'] !== 'string' || typeof env['REDIS_URL'] !== 'string') {
    throw new Error('env.KAFKA_BROKERS / env.REDIS_URL are missing');
  }
  if (!validService(value['kafka'], ['controllerPort', 'propertiesFile', 'logFile'])) throw new Error('the kafka entry is invalid');
  if (!validService(value['redis'], ['logFile'])) throw new Error('the redis entry is invalid');
  return value as unknown as InfraState;
};

/** The state in `file`, or null if there is none. Throws TRB_INFRA_STATE_FILE if it is unreadable. */
export const readStateFile = async (file: string): Promise<InfraState | null> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return parseInfraState(text);
  } catch (error) {
    throw new InfraError(
      'TRB_INFRA_STATE_FILE',
      `${file} is not valid (${errorMessage(error)}): stop what it started by hand if anything runs, then delete it`,
      { cause: error },
    );
  }
};

/** Written to a temporary file and renamed, so readers never see half a file. */
export const writeStateFile = async (file: string, state: InfraState): Promise<void> => {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
};

export const removeStateFile = (file: string): Promise<void> => rm(file, { force: true });

/** True if `argv` is the broker or Redis server that `record` describes (guards against reused pids). */
export const isCommandLineOf = (
  service: 'kafka' | 'redis',
  record: OwnedKafkaRecord | OwnedRedisRecord,
  argv: readonly string[],
): boolean => {
  if (service === 'kafka') {
    return argv.includes('kafka.Kafka') && 'propertiesFile' in record && argv.includes(`-Dtributary.infra=${record.propertiesFile}`);
  }
  const title = argv.join(' ');
  return title.includes('redis-server') && new RegExp(`:${record.port}(\\s|$)`).test(title);
};

/** Alive and still ours: the pid exists and its command line matches the record. */
export const isRecordedProcessRunning = (service: 'kafka' | 'redis', record: OwnedKafkaRecord | OwnedRedisRecord): boolean => {
  if (!isAlive(record.pid)) return false;
  const argv = readCommandLine(record.pid);
  return argv !== null && isCommandLineOf(service, record, argv);
};
