import { rm } from 'node:fs/promises';
import type { Log } from './log';
import { isAlive, readCommandLine, stopGroupByPid } from './process-control';
import { isCommandLineOf, isRecordedProcessRunning, type InfraState } from './state-file';

/** The services an infra.json records, looked at and stopped from another process than their owner. */

export type ServiceName = 'kafka' | 'redis';

export interface ServiceStatus {
  readonly service: ServiceName;
  readonly owned: boolean;
  /** For owned services: alive and still ours. Given services are not ours to check: always true. */
  readonly running: boolean;
  readonly description: string;
}

const GRACE_MS: Record<ServiceName, number> = { kafka: 15_000, redis: 5_000 };

export const describeServices = (state: InfraState): ServiceStatus[] => {
  const kafka = state.kafka;
  const redis = state.redis;
  return [
    kafka.owned
      ? {
          service: 'kafka',
          owned: true,
          running: isRecordedProcessRunning('kafka', kafka),
          description: `${state.env.KAFKA_BROKERS} (pid ${kafka.pid}, controller port ${kafka.controllerPort}, log ${kafka.logFile})`,
        }
      : { service: 'kafka', owned: false, running: true, description: `${state.env.KAFKA_BROKERS} (given by KAFKA_BROKERS, not managed)` },
    redis.owned
      ? {
          service: 'redis',
          owned: true,
          running: isRecordedProcessRunning('redis', redis),
          description: `${state.env.REDIS_URL} (pid ${redis.pid}, log ${redis.logFile})`,
        }
      : { service: 'redis', owned: false, running: true, description: `${state.env.REDIS_URL} (given by REDIS_URL, not managed)` },
  ];
};

export const allRunning = (state: InfraState): boolean => describeServices(state).every((status) => status.running);

const stopOne = async (service: ServiceName, state: InfraState, log: Log): Promise<void> => {
  const record = state[service];
  if (!record.owned) return;
  if (!isAlive(record.pid)) {
    log(`${service} (pid ${record.pid}) was not running`);
    return;
  }
  const argv = readCommandLine(record.pid);
  if (argv === null || !isCommandLineOf(service, record, argv)) {
    log(`pid ${record.pid} is alive but is not our ${service} (${argv?.join(' ') ?? 'command line unknown'}): left alone`);
    return;
  }
  const outcome = await stopGroupByPid(record.pid, GRACE_MS[service]);
  log(`${service} (pid ${record.pid}) ${outcome === 'killed' ? 'did not stop in time: killed' : outcome.replace('-', ' ')}`);
};

/** Stops the owned services (after checking each pid is still ours) and removes their run folder. */
export const stopRecordedServices = async (state: InfraState, log: Log): Promise<void> => {
  await Promise.all([stopOne('kafka', state, log), stopOne('redis', state, log)]);
  if (state.runDir !== null) await rm(state.runDir, { recursive: true, force: true });
};
