/**
 * MD5 (RFC 1321) of the UTF-8 bytes of a string, in pure TypeScript (the core may not import
 * node:crypto). Written for short strings hashed at a high rate: UTF-8 is encoded by hand straight
 * into 32-bit little-endian words (lone surrogates become U+FFFD, as TextEncoder and Buffer do), the
 * 64 steps are unrolled with Int32 arithmetic, and nothing is allocated per call.
 * The 64 step constants are floor(|sin(i + 1)| · 2^32) as signed 32-bit integers.
 */
let words = new Int32Array(64);

/**
 * Writes the digest of `input` into `out` as four signed 32-bit words: out[0] holds digest bytes
 * 0..3 little-endian, out[1] bytes 4..7, and so on.
 */
export function md5Words(input: string, out: Int32Array): void {
  const n = input.length;
  const capacity = (((n * 3 + 8) >>> 6) + 1) << 4;
  if (capacity > words.length) words = new Int32Array(capacity * 2);
  const w = words;
  // ASCII fast path: four characters make one little-endian word.
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = input.charCodeAt(i);
    const c1 = input.charCodeAt(i + 1);
    const c2 = input.charCodeAt(i + 2);
    const c3 = input.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) break;
    w[i >> 2] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  w.fill(0, i >> 2, capacity);
  let p = i;
  for (; i < n; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) {
      w[p >> 2] = (w[p >> 2] as number) | (c << ((p & 3) << 3));
      p++;
      continue;
    }
    if (c < 0x800) {
      w[p >> 2] = (w[p >> 2] as number) | ((0xc0 | (c >> 6)) << ((p & 3) << 3));
      p++;
      w[p >> 2] = (w[p >> 2] as number) | ((0x80 | (c & 0x3f)) << ((p & 3) << 3));
      p++;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? input.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        w[p >> 2] = (w[p >> 2] as number) | ((0xf0 | (c >> 18)) << ((p & 3) << 3));
        p++;
        w[p >> 2] = (w[p >> 2] as number) | ((0x80 | ((c >> 12) & 0x3f)) << ((p & 3) << 3));
        p++;
        w[p >> 2] = (w[p >> 2] as number) | ((0x80 | ((c >> 6) & 0x3f)) << ((p & 3) << 3));
        p++;
        w[p >> 2] = (w[p >> 2] as number) | ((0x80 | (c & 0x3f)) << ((p & 3) << 3));
        p++;
        continue;
      }
    c = 0xfffd;
    }
    w[p >> 2] = (w[p >> 2] as number) | ((0xe0 | (c >> 12)) << ((p & 3) << 3));
    p++;
    w[p >> 2] = (w[p >> 2] as number) | ((0x80 | ((c >> 6) & 0x3f)) << ((p & 3) << 3));
    p++;
    w[p >> 2] = (w[p >> 2] as number) | ((0x80 | (c & 0x3f)) << ((p & 3) << 3));
    p++;
  }
  w[p >> 2] = (w[p >> 2] as number) | (0x80 << ((p & 3) << 3));
  const blocks = ((p + 8) >>> 6) + 1;
  const end = blocks << 4;
  w[end - 2] = p << 3;
  w[end - 1] = p >>> 29;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  for (let k = 0; k < end; k += 16) {
    const m0 = w[k + 0] as number;
    const m1 = w[k + 1] as number;
    const m2 = w[k + 2] as number;
    const m3 = w[k + 3] as number;
    const m4 = w[k + 4] as number;
    const m5 = w[k + 5] as number;
    const m6 = w[k + 6] as number;
    const m7 = w[k + 7] as number;
    const m8 = w[k + 8] as number;
    const m9 = w[k + 9] as number;
    const m10 = w[k + 10] as number;
    const m11 = w[k + 11] as number;
    const m12 = w[k + 12] as number;
    const m13 = w[k + 13] as number;
    const m14 = w[k + 14] as number;
    const m15 = w[k + 15] as number;
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let t: number;
    t = (a + (d ^ (b & (c ^ d))) + m0 + -680876936) | 0;
    a = (((t << 7) | (t >>> 25)) + b) | 0;
    t = (d + (c ^ (a & (b ^ c))) + m1 + -389564586) | 0;
    d = (((t << 12) | (t >>> 20)) + a) | 0;
    t = (c + (b ^ (d & (a ^ b))) + m2 + 606105819) | 0;
    c = (((t << 17) | (t >>> 15)) + d) | 0;
    t = (b + (a ^ (c & (d ^ a))) + m3 + -1044525330) | 0;
    b = (((t << 22) | (t >>> 10)) + c) | 0;
    t = (a + (d ^ (b & (c ^ d))) + m4 + -176418897) | 0;
    a = (((t << 7) | (t >>> 25)) + b) | 0;
    t = (d + (c ^ (a & (b ^ c))) + m5 + 1200080426) | 0;
    d = (((t << 12) | (t >>> 20)) + a) | 0;
    t = (c + (b ^ (d & (a ^ b))) + m6 + -1473231341) | 0;
    c = (((t << 17) | (t >>> 15)) + d) | 0;
    t = (b + (a ^ (c & (d ^ a))) + m7 + -45705983) | 0;
    b = (((t << 22) | (t >>> 10)) + c) | 0;
    t = (a + (d ^ (b & (c ^ d))) + m8 + 1770035416) | 0;
    a = (((t << 7) | (t >>> 25)) + b) | 0;
    t = (d + (c ^ (a & (b ^ c))) + m9 + -1958414417) | 0;
    d = (((t << 12) | (t >>> 20)) + a) | 0;
    t = (c + (b ^ (d & (a ^ b))) + m10 + -42063) | 0;
    c = (((t << 17) | (t >>> 15)) + d) | 0;
    t = (b + (a ^ (c & (d ^ a))) + m11 + -1990404162) | 0;
    b = (((t << 22) | (t >>> 10)) + c) | 0;
    t = (a + (d ^ (b & (c ^ d))) + m12 + 1804603682) | 0;
    a = (((t << 7) | (t >>> 25)) + b) | 0;
    t = (d + (c ^ (a & (b ^ c))) + m13 + -40341101) | 0;
    d = (((t << 12) | (t >>> 20)) + a) | 0;
    t = (c + (b ^ (d & (a ^ b))) + m14 + -1502002290) | 0;
    c = (((t << 17) | (t >>> 15)) + d) | 0;
    t = (b + (a ^ (c & (d ^ a))) + m15 + 1236535329) | 0;
    b = (((t << 22) | (t >>> 10)) + c) | 0;
    t = (a + (c ^ (d & (b ^ c))) + m1 + -165796510) | 0;
    a = (((t << 5) | (t >>> 27)) + b) | 0;
    t = (d + (b ^ (c & (a ^ b))) + m6 + -1069501632) | 0;
    d = (((t << 9) | (t >>> 23)) + a) | 0;
    t = (c + (a ^ (b & (d ^ a))) + m11 + 643717713) | 0;
    c = (((t << 14) | (t >>> 18)) + d) | 0;
    t = (b + (d ^ (a & (c ^ d))) + m0 + -373897302) | 0;
    b = (((t << 20) | (t >>> 12)) + c) | 0;
    t = (a + (c ^ (d & (b ^ c))) + m5 + -701558691) | 0;
    a = (((t << 5) | (t >>> 27)) + b) | 0;
    t = (d + (b ^ (c & (a ^ b))) + m10 + 38016083) | 0;
    d = (((t << 9) | (t >>> 23)) + a) | 0;
    t = (c + (a ^ (b & (d ^ a))) + m15 + -660478335) | 0;
    c = (((t << 14) | (t >>> 18)) + d) | 0;
    t = (b + (d ^ (a & (c ^ d))) + m4 + -405537848) | 0;
    b = (((t << 20) | (t >>> 12)) + c) | 0;
    t = (a + (c ^ (d & (b ^ c))) + m9 + 568446438) | 0;
    a = (((t << 5) | (t >>> 27)) + b) | 0;
    t = (d + (b ^ (c & (a ^ b))) + m14 + -1019803690) | 0;
    d = (((t << 9) | (t >>> 23)) + a) | 0;
    t = (c + (a ^ (b & (d ^ a))) + m3 + -187363961) | 0;
    c = (((t << 14) | (t >>> 18)) + d) | 0;
    t = (b + (d ^ (a & (c ^ d))) + m8 + 1163531501) | 0;
    b = (((t << 20) | (t >>> 12)) + c) | 0;
    t = (a + (c ^ (d & (b ^ c))) + m13 + -1444681467) | 0;
    a = (((t << 5) | (t >>> 27)) + b) | 0;
    t = (d + (b ^ (c & (a ^ b))) + m2 + -51403784) | 0;
    d = (((t << 9) | (t >>> 23)) + a) | 0;
    t = (c + (a ^ (b & (d ^ a))) + m7 + 1735328473) | 0;
    c = (((t << 14) | (t >>> 18)) + d) | 0;
    t = (b + (d ^ (a & (c ^ d))) + m12 + -1926607734) | 0;
    b = (((t << 20) | (t >>> 12)) + c) | 0;
    t = (a + (b ^ c ^ d) + m5 + -378558) | 0;
    a = (((t << 4) | (t >>> 28)) + b) | 0;
    t = (d + (a ^ b ^ c) + m8 + -2022574463) | 0;
    d = (((t << 11) | (t >>> 21)) + a) | 0;
    t = (c + (d ^ a ^ b) + m11 + 1839030562) | 0;
    c = (((t << 16) | (t >>> 16)) + d) | 0;
    t = (b + (c ^ d ^ a) + m14 + -35309556) | 0;
    b = (((t << 23) | (t >>> 9)) + c) | 0;
    t = (a + (b ^ c ^ d) + m1 + -1530992060) | 0;
    a = (((t << 4) | (t >>> 28)) + b) | 0;
    t = (d + (a ^ b ^ c) + m4 + 1272893353) | 0;
    d = (((t << 11) | (t >>> 21)) + a) | 0;
    t = (c + (d ^ a ^ b) + m7 + -155497632) | 0;
    c = (((t << 16) | (t >>> 16)) + d) | 0;
    t = (b + (c ^ d ^ a) + m10 + -1094730640) | 0;
    b = (((t << 23) | (t >>> 9)) + c) | 0;
    t = (a + (b ^ c ^ d) + m13 + 681279174) | 0;
    a = (((t << 4) | (t >>> 28)) + b) | 0;
    t = (d + (a ^ b ^ c) + m0 + -358537222) | 0;
    d = (((t << 11) | (t >>> 21)) + a) | 0;
    t = (c + (d ^ a ^ b) + m3 + -722521979) | 0;
    c = (((t << 16) | (t >>> 16)) + d) | 0;
    t = (b + (c ^ d ^ a) + m6 + 76029189) | 0;
    b = (((t << 23) | (t >>> 9)) + c) | 0;
    t = (a + (b ^ c ^ d) + m9 + -640364487) | 0;
    a = (((t << 4) | (t >>> 28)) + b) | 0;
    t = (d + (a ^ b ^ c) + m12 + -421815835) | 0;
    d = (((t << 11) | (t >>> 21)) + a) | 0;
    t = (c + (d ^ a ^ b) + m15 + 530742520) | 0;
    c = (((t << 16) | (t >>> 16)) + d) | 0;
    t = (b + (c ^ d ^ a) + m2 + -995338651) | 0;
    b = (((t << 23) | (t >>> 9)) + c) | 0;
    t = (a + (c ^ (b | ~d)) + m0 + -198630844) | 0;
    a = (((t << 6) | (t >>> 26)) + b) | 0;
    t = (d + (b ^ (a | ~c)) + m7 + 1126891415) | 0;
    d = (((t << 10) | (t >>> 22)) + a) | 0;
    t = (c + (a ^ (d | ~b)) + m14 + -1416354905) | 0;
    c = (((t << 15) | (t >>> 17)) + d) | 0;
    t = (b + (d ^ (c | ~a)) + m5 + -57434055) | 0;
    b = (((t << 21) | (t >>> 11)) + c) | 0;
    t = (a + (c ^ (b | ~d)) + m12 + 1700485571) | 0;
    a = (((t << 6) | (t >>> 26)) + b) | 0;
    t = (d + (b ^ (a | ~c)) + m3 + -1894986606) | 0;
    d = (((t << 10) | (t >>> 22)) + a) | 0;
    t = (c + (a ^ (d | ~b)) + m10 + -1051523) | 0;
    c = (((t << 15) | (t >>> 17)) + d) | 0;
    t = (b + (d ^ (c | ~a)) + m1 + -2054922799) | 0;
    b = (((t << 21) | (t >>> 11)) + c) | 0;
    t = (a + (c ^ (b | ~d)) + m8 + 1873313359) | 0;
    a = (((t << 6) | (t >>> 26)) + b) | 0;
    t = (d + (b ^ (a | ~c)) + m15 + -30611744) | 0;
    d = (((t << 10) | (t >>> 22)) + a) | 0;
    t = (c + (a ^ (d | ~b)) + m6 + -1560198380) | 0;
    c = (((t << 15) | (t >>> 17)) + d) | 0;
    t = (b + (d ^ (c | ~a)) + m13 + 1309151649) | 0;
    b = (((t << 21) | (t >>> 11)) + c) | 0;
    t = (a + (c ^ (b | ~d)) + m4 + -145523070) | 0;
    a = (((t << 6) | (t >>> 26)) + b) | 0;
    t = (d + (b ^ (a | ~c)) + m11 + -1120210379) | 0;
    d = (((t << 10) | (t >>> 22)) + a) | 0;
    t = (c + (a ^ (d | ~b)) + m2 + 718787259) | 0;
    c = (((t << 15) | (t >>> 17)) + d) | 0;
    t = (b + (d ^ (c | ~a)) + m9 + -343485551) | 0;
    b = (((t << 21) | (t >>> 11)) + c) | 0;
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
  }
  out[0] = h0;
  out[1] = h1;
  out[2] = h2;
  out[3] = h3;
}

/** Hex digest, like `createHash('md5').update(input).digest('hex')`: for tests and tools. */
export function md5Hex(input: string): string {
  const out = new Int32Array(4);
  md5Words(input, out);
  let hex = '';
  for (const word of out) {
    for (let byte = 0; byte < 4; byte++) hex += ((word >>> (byte * 8)) & 0xff).toString(16).padStart(2, '0');
  }
  return hex;
}
