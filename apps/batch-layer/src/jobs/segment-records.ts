import { decodeSegmentRecord } from '@tributary/adapter-lake';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { BatchInputError } from './batch-errors';
import type { InputRecord } from './normalized-writer';

const NOT_UTF8 = 'the message is not valid UTF-8: an event must be one UTF-8 JSON object';

/**
 * The records of a raw segment as normalization inputs: received at their Kafka timestamp; the value
 * read as the speed layer reads it (UTF-8; a value that is not UTF-8 is rejected), so both layers decide alike. A
 * line that is not a segment record means the file is damaged: the run fails, naming it.
 */
export async function* segmentRecords(path: string): AsyncGenerator<InputRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.length === 0) continue;
    let record;
    try {
      record = decodeSegmentRecord(line);
    } catch (err) {
      throw new BatchInputError('TRB_BATCH_CORRUPT_INPUT', `${path} line ${lineNumber} is not a segment record (${(err as Error).message}); restore the segment from a backup or remove it and re-archive from Kafka`, { cause: err });
    }
    const position = Number(record.offset);
    const receivedAt = Number(record.timestamp);
    const text = record.value;
    // The archiver keeps bytes that are not UTF-8 in base64: rejected, as the speed layer rejects them.
    if (record.valueBase64 !== undefined) yield { position, receivedAt, error: NOT_UTF8 };
    else if (text === null || text.length === 0) yield { position, receivedAt, error: 'empty message: an event must be one JSON object' };
    else yield { position, receivedAt, text };
  }
}
