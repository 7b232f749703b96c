import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InfraError, abortedError, errorMessage } from './errors';
import { KAFKA_VERSION } from './kafka-config';
import { parseMavenLine } from './maven-output';
import { formatMegabytes, formatSeconds, stopwatch, type Log } from './log';
import { tailLines } from './log-file';
import { kafkaCacheDir, kafkaPomPath } from './paths';
import { requireTool } from './prerequisites';
import { isAlive } from './process-control';

/**
 * The Kafka jars, downloaded once per machine by Maven into a cache outside the repo. The download goes
 * to a temporary folder that is renamed into place with its marker inside, so an interrupted download
 * never leaves a half cache; a warm cache costs no Maven call at all.
 */
const MARKER = '.tributary-complete.json';
const BROKER_JAR = `kafka_2.13-${KAFKA_VERSION}.jar`;

interface Marker {
  readonly kafkaVersion: string;
  readonly pomSha256: string;
  readonly jars: number;
  readonly bytes: number;
  readonly downloadedAt: string;
}

export interface EnsureKafkaJarsOptions {
  readonly log: Log;
  readonly signal?: AbortSignal;
  /** Defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/tributary/kafka-3.9.1. */
  readonly cacheDir?: string;
  readonly pomFile?: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const readMarker = async (libsDir: string): Promise<Marker | null> => {
  try {
    return JSON.parse(await readFile(join(libsDir, MARKER), 'utf8')) as Marker;
  } catch {
    return null; // no marker (or an unreadable one): the cache is not complete
  }
};

const jarStats = async (dir: string): Promise<{ jars: number; bytes: number; hasBroker: boolean }> => {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.jar'));
  const sizes = await Promise.all(names.map(async (name) => (await stat(join(dir, name))).size));
  return { jars: names.length, bytes: sizes.reduce((sum, size) => sum + size, 0), hasBroker: names.includes(BROKER_JAR) };
};

/** Removes temporary folders left by downloads whose process is gone (e.g. killed mid-download). */
const removeAbandonedDownloads = async (cacheDir: string): Promise<void> => {
  for (const name of await readdir(cacheDir)) {
    const pid = /^libs\.(?:tmp|old)-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
};

const runMaven = async (pomFile: string, outputDir: string, mavenLog: string, log: Log, signal?: AbortSignal) => {
  const args = ['-B', '-Dstyle.color=never', '-f', pomFile, 'dependency:copy-dependencies'];
  args.push(`-DoutputDirectory=${outputDir}`, '-DincludeScope=runtime');
  log(`$ mvn ${args.join(' ')}`);
  const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
  const logStream = createWriteStream(mavenLog);
  const report = (line: string): void => {
    logStream.write(`${line}\n`);
    const shown = parseMavenLine(line);
    if (shown !== null) log(`mvn: ${shown}`);
  };
  createInterface({ input: child.stdout }).on('line', report);
  createInterface({ input: child.stderr }).on('line', report);
  const exit = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => new Promise((resolve) => logStream.end(resolve)));
  if (signal?.aborted) throw abortedError('the Kafka jar download', signal);
  if (exit !== 0) {
    throw new InfraError(
      'TRB_INFRA_DOWNLOAD_FAILED',
      `Maven could not download the Kafka jars (exit ${String(exit)}). Check network access to Maven Central ` +
        `(or your ~/.m2/settings.xml mirror) and run again. Last lines of ${mavenLog}:\n${await tailLines(mavenLog, 40)}`,
    );
  }
};

/** Moves a stale (or half-written, pre-marker) cache out of the way and deletes it. */
const moveAside = async (dir: string, to: string): Promise<void> => {
  try {
    await rename(dir, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(to, { recursive: true, force: true });
};

const download = async (cacheDir: string, pomFile: string, pomSha256: string, log: Log, signal?: AbortSignal) => {
  const libsDir = join(cacheDir, 'libs');
  const tmpDir = join(cacheDir, `libs.tmp-${process.pid}-${randomUUID()}`);
  const elapsed = stopwatch();
  log(`downloading Kafka ${KAFKA_VERSION} jars with Maven into ${libsDir} (once per machine, about 46 MB)`);
  try {
    await runMaven(pomFile, tmpDir, join(cacheDir, 'mvn.log'), log, signal);
    const stats = await jarStats(tmpDir);
    if (!stats.hasBroker) {
      throw new InfraError('TRB_INFRA_DOWNLOAD_FAILED', `Maven finished but ${BROKER_JAR} is not in ${tmpDir}: check ${pomFile}`);
    }
    const marker: Marker = { kafkaVersion: KAFKA_VERSION, pomSha256, ...stats, downloadedAt: new Date().toISOString() };
    await writeFile(join(tmpDir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    log(`kafka jars downloaded in ${formatSeconds(elapsed())} (${stats.jars} jars, ${formatMegabytes(stats.bytes)})`);
    if ((await readMarker(libsDir))?.pomSha256 === pomSha256) {
      log('kafka jars: another run filled the cache meanwhile, using it');
      return libsDir;
    }
    await moveAside(libsDir, join(cacheDir, `libs.old-${process.pid}-${randomUUID()}`));
    try {
      await rename(tmpDir, libsDir);
    } catch (error) {
      // Another run renamed its complete download into place a moment before us: use it.
      if ((await readMarker(libsDir))?.pomSha256 !== pomSha256) throw error;
    }
    return libsDir;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
};

/** Returns the folder holding the Kafka jars, downloading them first if the cache is missing or stale. */
export const ensureKafkaJars = async (options: EnsureKafkaJarsOptions): Promise<string> => {
  const elapsed = stopwatch();
  const cacheDir = options.cacheDir ?? kafkaCacheDir(KAFKA_VERSION, process.env);
  const pomFile = options.pomFile ?? kafkaPomPath();
  const pomSha256 = sha256(await readFile(pomFile, 'utf8'));
  const libsDir = join(cacheDir, 'libs');
  const marker = await readMarker(libsDir);
  if (marker?.pomSha256 === pomSha256) {
    options.log(`kafka jars: reusing ${libsDir} (${marker.jars} jars) in ${formatSeconds(elapsed())}`);
    return libsDir;
  }
  if (marker !== null) options.log(`kafka jars: ${pomFile} changed since the cache was filled, downloading again`);
  await requireTool('mvn');
  await mkdir(cacheDir, { recursive: true });
  await removeAbandonedDownloads(cacheDir);
  try {
    return await download(cacheDir, pomFile, pomSha256, options.log, options.signal);
  } catch (error) {
    if (error instanceof InfraError) throw error;
    if (options.signal?.aborted) throw abortedError('the Kafka jar download', options.signal);
    throw new InfraError('TRB_INFRA_DOWNLOAD_FAILED', `the Kafka jar download failed: ${errorMessage(error)}`, { cause: error });
  }
};
