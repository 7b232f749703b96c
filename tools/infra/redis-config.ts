/** Pure builders for a throwaway redis-server: no persistence, loopback only, a log file. */

export interface RedisLayout {
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
}

export const redisUrl = (port: number): string => `redis://127.0.0.1:${port}`;

/** Not daemonized, so the spawned pid is the server itself and we can stop and kill it. */
export const redisServerArgs = ({ port, dataDir, logFile }: RedisLayout): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dataDir,
  '--logfile',
  logFile,
  '--daemonize',
  'no',
];
