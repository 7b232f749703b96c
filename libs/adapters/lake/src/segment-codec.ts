/**
 * One archived Kafka message, a line of a raw segment (`raw/kafka/…/<first>-<last>.ndjson`):
 *   {"offset":"42","timestamp":"1763892000000","key":"…"|null,"value":"…"|null}
 * `value` and `key` hold the original bytes as text when they are valid UTF-8; otherwise
 * `valueBase64` / `keyBase64` hold them in base64 and `value` / `key` are null. Offsets and
 * timestamps are strings, as Kafka's int64 may exceed a double.
 */
export interface SegmentRecord {
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  keyBase64?: string;
  valueBase64?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer | null): { text: string | null; base64?: string } {
  if (bytes === null) return { text: null };
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    return { text: null, base64: bytes.toString('base64') };
  }
}

export function encodeSegmentRecord(message: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null }): string {
  const key = asText(message.key);
  const value = asText(message.value);
  const record: SegmentRecord = { offset: message.offset, timestamp: message.timestamp, key: key.text, value: value.text };
  if (key.base64 !== undefined) record.keyBase64 = key.base64;
  if (value.base64 !== undefined) record.valueBase64 = value.base64;
  return JSON.stringify(record);
}

export function decodeSegmentRecord(line: string): SegmentRecord {
  const record = JSON.parse(line) as SegmentRecord;
  if (typeof record.offset !== 'string' || typeof record.timestamp !== 'string') {
    throw new TypeError(`not a segment record (offset and timestamp must be strings): ${line.slice(0, 120)}`);
  }
  return record;
}

/** The original value bytes of a record, as text (null when absent or not UTF-8). */
export const recordText = (record: SegmentRecord): string | null => record.value;

/** `<first>-<last>.ndjson` → its offsets; undefined for any other name (temp files included). */
export function parseSegmentName(name: string): { first: bigint; last: bigint } | undefined {
  const match = /^(\d+)-(\d+)\.ndjson$/.exec(name);
  if (!match) return undefined;
  return { first: BigInt(match[1] as string), last: BigInt(match[2] as string) };
}
