import { createServer, type Server } from 'node:net';
import { InfraError } from './errors';

const listenOnAnyPort = (host: string): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));

/**
 * `count` distinct ports that were free a moment ago on `host`, found by binding port 0.
 * All are held open together so they differ; a race with another process remains possible.
 */
export const freePorts = async (count: number, host = '127.0.0.1'): Promise<number[]> => {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) servers.push(await listenOnAnyPort(host));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error(`could not read the port bound on ${host}`);
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
};

/**
 * Throws a clear error if one of `ports` is already taken on `host` (a service that cannot bind would
 * fail with a less obvious message, or a readiness check could reach the wrong server).
 */
export const assertPortsFree = async (ports: readonly number[], host = '127.0.0.1'): Promise<void> => {
  for (const port of ports) {
    const server = createServer();
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new InfraError('TRB_INFRA_START_FAILED', `${host}:${port} is already in use: stop what listens there, or omit the port to get a free one`)
            : error,
        ),
      );
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
    await close(server);
  }
};
