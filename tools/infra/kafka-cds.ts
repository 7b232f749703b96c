import { createHash, randomUUID } from 'node:crypto';
import { access, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-control';

/**
 * Application class-data sharing for the broker JVM: the first broker run dumps the classes it loaded
 * into an archive next to the cached jars (-XX:ArchiveClassesAtExit, Java 13+); later runs map it
 * (-XX:SharedArchiveFile), which cuts the broker's start from ~5 s to ~2 s and the storage format
 * from ~1.6 s to ~1 s here. A missing or mismatched archive is ignored by the JVM (-Xshare:auto).
 */

/** 17 from `openjdk version "17.0.15" 2025-04-15`, 8 from `java version "1.8.0_392"`, null if unknown. */
export const javaMajorVersion = (versionLine: string): number | null => {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionLine);
  if (match?.[1] === undefined) return null;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
};

/** The archive is specific to the JVM build, so its name carries a hash of the version line. */
export const cdsArchivePath = (libsDir: string, javaVersionLine: string): string =>
  join(libsDir, `.kafka-cds-${createHash('sha256').update(javaVersionLine).digest('hex').slice(0, 12)}.jsa`);

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

export interface CdsPlan {
  /** Extra JVM arguments for the broker. */
  readonly jvmArgs: readonly string[];
  /** Call once the broker has exited: moves a freshly dumped archive into place. */
  commit(): Promise<void>;
}

const NO_CDS: CdsPlan = { jvmArgs: [], commit: async () => undefined };

/** Removes half-written archives of owners that are gone. */
const removeAbandoned = async (libsDir: string): Promise<void> => {
  for (const name of await readdir(libsDir)) {
    const owner = /\.jsa\.tmp-(\d+)-/.exec(name)?.[1];
    if (owner !== undefined && !isAlive(Number(owner))) await rm(join(libsDir, name), { force: true });
  }
};

/**
 * Uses the archive if there is one; otherwise (unless the broker outlives us, so nobody could commit)
 * has this broker dump one on exit.
 */
export const planBrokerCds = async (libsDir: string, javaVersionLine: string, canCommit: boolean): Promise<CdsPlan> => {
  const major = javaMajorVersion(javaVersionLine);
  if (major === null || major < 13) return NO_CDS;
  const archive = cdsArchivePath(libsDir, javaVersionLine);
  if (await exists(archive)) return { jvmArgs: [`-XX:SharedArchiveFile=${archive}`], commit: NO_CDS.commit };
  if (!canCommit) return NO_CDS;
  await removeAbandoned(libsDir);
  const tmp = `${archive}.tmp-${process.pid}-${randomUUID()}`;
  return {
    jvmArgs: [`-XX:ArchiveClassesAtExit=${tmp}`],
    commit: async () => {
      const dumped = await stat(tmp).then(
        (info) => info.size > 0,
        () => false, // not dumped (the broker was SIGKILLed): the next run tries again
      );
      if (dumped && !(await exists(archive))) await rename(tmp, archive);
      await rm(tmp, { force: true });
    },
  };
};

/** The storage format reuses the broker's archive when there is one. */
export const formatCdsArgs = async (libsDir: string, javaVersionLine: string): Promise<string[]> => {
  const major = javaMajorVersion(javaVersionLine);
  const archive = cdsArchivePath(libsDir, javaVersionLine);
  return major !== null && major >= 13 && (await exists(archive)) ? [`-XX:SharedArchiveFile=${archive}`] : [];
};
