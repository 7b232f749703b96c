import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError, abortedError, errorMessage, throwIfAborted } from './errors';
import { assertPortsFree, freePorts } from './free-port';
import { fileSize, withLogTail } from './log-file';
import { defaultLog, formatSeconds, stopwatch, type Log } from './log';
import { describeExit, spawnManaged, type ManagedProcess } from './managed-process';
import { sleep } from './poll';
import { requireTool } from './prerequisites';
import { redisServerArgs, redisUrl } from './redis-config';
import { redisServerPid } from './redis-probe';
import { createServiceControl, type ServiceControl } from './service-control';

export interface StartRedisOptions {
  /** The run folder: redis-data/ and redis.log go here. */
  readonly dir: string;
  /** Defaults to a free port. */
  readonly port?: number;
  readonly log?: Log;
  readonly signal?: AbortSignal;
  /** Let the server outlive this process (no watchdog, no exit hooks); stop it by pid later. */
  readonly keepAlive?: boolean;
  /** Stop the server when this process gets SIGINT/SIGTERM/SIGHUP (default true). */
  readonly handleSignals?: boolean;
  readonly readyTimeoutMs?: number;
}

export interface RedisHandle extends ServiceControl {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly logFile: string;
}

const STOP_TIMEOUT_MS = 5_000;

/** Ready when the server we spawned (checked by pid, not just any server on the port) answers. */
const waitUntilReady = async (url: string, server: ManagedProcess, deadline: number, signal?: AbortSignal): Promise<void> => {
  for (;;) {
    const exit = server.exitStatus();
    if (exit !== null) throw new InfraError('TRB_INFRA_START_FAILED', `redis-server ${describeExit(exit)}`);
    try {
      const pid = await redisServerPid(url, 1_000);
      if (pid === server.pid) return;
      throw new InfraError('TRB_INFRA_START_FAILED', `another Redis (pid ${pid}) answers at ${url}`);
    } catch (error) {
      if (error instanceof InfraError) throw error;
      if (Date.now() > deadline) {
        throw new InfraError('TRB_INFRA_START_TIMEOUT', `redis-server did not answer at ${url} in time (${errorMessage(error)})`);
      }
    }
    await sleep(50, signal);
  }
};

/** Starts redis-server on 127.0.0.1 (a free port unless given); resolves once it answers. */
export const startRedis = async (options: StartRedisOptions): Promise<RedisHandle> => {
  const log = options.log ?? defaultLog;
  await requireTool('redis-server');
  const [port = 0] = options.port === undefined ? await freePorts(1) : [options.port];
  const url = redisUrl(port);
  const dataDir = join(options.dir, 'redis-data');
  const logFile = join(options.dir, 'redis.log');
  await mkdir(dataDir, { recursive: true });

  const launch = async (): Promise<ManagedProcess> => {
    throwIfAborted('starting Redis', options.signal);
    const elapsed = stopwatch();
    await assertPortsFree([port]);
    const fromOffset = await fileSize(logFile);
    const server = await spawnManaged({
      name: 'redis',
      command: 'redis-server',
      args: redisServerArgs({ port, dataDir, logFile }),
      cwd: options.dir,
      outputFile: logFile,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      keepAlive: options.keepAlive ?? false,
      handleSignals: options.handleSignals ?? true,
      log,
    });
    try {
      await waitUntilReady(url, server, Date.now() + (options.readyTimeoutMs ?? 10_000), options.signal);
    } catch (error) {
      await server.kill();
      if (options.signal?.aborted) throw abortedError('starting Redis', options.signal);
      throw await withLogTail(error, logFile, fromOffset);
    }
    log(`redis ready at ${url} in ${formatSeconds(elapsed())} (pid ${server.pid})`);
    return server;
  };

  const control = await createServiceControl(launch);
  return Object.assign(control, { url, port, dir: options.dir, logFile });
};
