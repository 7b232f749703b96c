import { writeFileAtomic } from '@tributary/adapter-lake';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * An NDJSON file written line by line and published atomically (temp name, fsync, rename) by
 * `commit()`, or removed by `discard()`. Written lazily: a file that gets no line is never created
 * unless `commit({ always: true })`.
 */
export function createLineFile(path: string) {
  const temp = `${path}.tmp-${randomUUID()}`;
  let out: ReturnType<typeof createWriteStream> | undefined;
  let count = 0;
  return {
    get count() {
      return count;
    },
    async write(record: unknown): Promise<void> {
      if (out === undefined) {
        await mkdir(dirname(path), { recursive: true });
        out = createWriteStream(temp);
      }
      count++;
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    },
    async commit(): Promise<boolean> {
      if (out === undefined) return false;
      out.end();
      await once(out, 'finish');
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      return true;
    },
    async discard(): Promise<void> {
      out?.destroy();
      await rm(temp, { force: true });
    },
  };
}

export const writeJsonAtomic = (path: string, value: unknown) => writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
