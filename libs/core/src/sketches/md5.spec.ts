import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Hex, md5Words } from './md5';

const nodeMd5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

describe('md5 (pure TypeScript)', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ])('RFC 1321 test vector %j', (input, hex) => {
    expect(md5Hex(input)).toBe(hex);
  });

  it('matches node:crypto at every block boundary (55, 56, 63, 64, 119, 120 bytes …)', () => {
    for (let n = 0; n < 300; n++) {
      for (const ch of ['x', 'é', '東', '😀']) {
        const s = ch.repeat(n);
        expect(md5Hex(s), `${n} × ${ch}`).toBe(nodeMd5(s));
      }
    }
  });

  it('matches node:crypto on random strings, ASCII and not, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) })), (s) => {
        expect(md5Hex(s)).toBe(nodeMd5(s));
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('hashes a long string (the word buffer grows) and then short ones again', () => {
    const long = 'ab😀'.repeat(5000);
    expect(md5Hex(long)).toBe(nodeMd5(long));
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('writes the digest as four little-endian 32-bit words', () => {
    const out = new Int32Array(4);
    md5Words('hello', out);
    const digest = createHash('md5').update('hello').digest();
    expect([...out]).toEqual([0, 4, 8, 12].map((o) => digest.readInt32LE(o)));
  });
});
