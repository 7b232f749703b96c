import { describe, expect, it } from 'vitest';
import { decodeSegmentRecord, encodeSegmentRecord, parseSegmentName } from './segment-codec';

describe('segment codec', () => {
  it('keeps UTF-8 values as text and round-trips them', () => {
    const line = encodeSegmentRecord({ offset: '7', timestamp: '1763892000000', key: Buffer.from('k'), value: Buffer.from('{"id":"é"}') });
    expect(decodeSegmentRecord(line)).toEqual({ offset: '7', timestamp: '1763892000000', key: 'k', value: '{"id":"é"}' });
  });

  it('keeps bytes that are not UTF-8 in base64, losing nothing', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const record = decodeSegmentRecord(encodeSegmentRecord({ offset: '1', timestamp: '2', key: null, value: bytes }));
    expect(record.value).toBeNull();
    expect(Buffer.from(record.valueBase64 as string, 'base64')).toEqual(bytes);
  });

  it('rejects lines that are not records', () => {
    expect(() => decodeSegmentRecord('{"offset":1}')).toThrow(/not a segment record/);
  });

  it('parses segment names and ignores temp files', () => {
    expect(parseSegmentName('100-199.ndjson')).toEqual({ first: 100n, last: 199n });
    expect(parseSegmentName('100-199.ndjson.tmp')).toBeUndefined();
  });
});
