/**
 * Event time: an ISO-8601 date-time WITH a UTC offset, or epoch milliseconds. Hand-written parser
 * (no regex, no Date.parse) because it runs once per event and Date.parse accepts ambiguous forms.
 *
 * Accepted: `YYYY-MM-DD(T|t| )hh:mm[:ss[(.|,)fraction]](Z|z|±hh|±hhmm|±hh:mm)`; the fraction is
 * truncated to milliseconds. Epoch ms: a finite whole number within ±8.64e15 (JavaScript's Date range).
 */
export const MAX_EPOCH_MS = 8.64e15;

const NO_OFFSET: unique symbol = Symbol('no offset');
const BAD: unique symbol = Symbol('not a date-time');
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms, or a reason (without the field name) that says what to fix. */
export function parseTime(value: unknown, options?: { acceptDigitString?: boolean }): number | string {
  if (typeof value === 'number') return checkEpochMs(value);
  if (typeof value !== 'string') return `must be an ISO-8601 date-time with offset or epoch milliseconds (got ${describeType(value)})`;
  const parsed = parseIsoDateTime(value);
  if (typeof parsed === 'number') return parsed;
  if (options?.acceptDigitString && /^-?\d{1,16}$/.test(value)) return checkEpochMs(Number(value));
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (parsed === NO_OFFSET) return `${shown} has no UTC offset; add Z or ±hh:mm (e.g. 2026-11-23T10:15:30.123Z)`;
  if (typeof parsed === 'string') return `${shown} ${parsed}`;
  if (/^-?\d+(\.\d+)?$/.test(value)) return `${shown} is a string; epoch milliseconds must be a number`;
  return `${shown} is not an ISO-8601 date-time with offset (e.g. 2026-11-23T10:15:30.123Z) nor epoch milliseconds`;
}

function checkEpochMs(ms: number): number | string {
  if (!Number.isFinite(ms)) return `must be a finite number of epoch milliseconds (got ${ms})`;
  if (!Number.isInteger(ms)) return `${ms} is not a whole number of epoch milliseconds`;
  if (ms > MAX_EPOCH_MS || ms < -MAX_EPOCH_MS) return `${ms} is outside the representable range of ±8.64e15 epoch milliseconds`;
  return ms;
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1; // also NaN past the end of the string
    v = v * 10 + d;
  }
  return v;
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * Epoch ms; NO_OFFSET when well-formed but without offset; BAD when not a date-time; or a reason
 * string when well-formed but out of range.
 */
function parseIsoDateTime(s: string): number | string | typeof NO_OFFSET | typeof BAD {
  const len = s.length;
  if (len < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return BAD;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 0 || day < 0) return BAD;
  if (len === 10) return 'has no time and no UTC offset; write e.g. 2026-11-23T00:00:00Z';
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return BAD; // T t space
  if (len < 16 || s.charCodeAt(13) !== 58) return BAD;
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if (hour < 0 || minute < 0) return BAD;
  let pos = 16;
  let second = 0;
  let millis = 0;
  if (s.charCodeAt(pos) === 58) {
    second = digits(s, pos + 1, 2);
    if (second < 0 || pos + 3 > len) return BAD;
    pos += 3;
    const dot = s.charCodeAt(pos);
    if (dot === 46 || dot === 44) {
      pos++;
      const start = pos;
      while (pos < len && isDigit(s, pos)) {
        if (pos - start < 3) millis = millis * 10 + (s.charCodeAt(pos) - 48);
        pos++;
      }
      if (pos === start) return BAD;
      for (let k = pos - start; k < 3; k++) millis *= 10;
    }
  }
  let offsetMinutes: number;
  if (pos === len) return NO_OFFSET;
  const o = s.charCodeAt(pos);
  if ((o === 90 || o === 122) && pos + 1 === len) {
    offsetMinutes = 0;
  } else if (o === 43 || o === 45) {
    const oh = digits(s, pos + 1, 2);
    let om = 0;
    if (oh < 0 || pos + 3 > len) return BAD;
    if (pos + 3 === len) om = 0;
    else if (s.charCodeAt(pos + 3) === 58 && pos + 6 === len) om = digits(s, pos + 4, 2);
    else if (pos + 5 === len) om = digits(s, pos + 3, 2);
    else return BAD;
    if (om < 0) return BAD;
    if (oh > 23 || om > 59) return `has an invalid UTC offset ${s.slice(pos)}`;
    offsetMinutes = (o === 45 ? -1 : 1) * (oh * 60 + om);
  } else {
    return BAD;
  }
  if (month < 1 || month > 12) return `has an invalid month ${month}`;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = (DAYS_IN_MONTH[month - 1] ?? 31) + (leap ? 1 : 0);
  if (day < 1 || day > monthDays) return `has an invalid day ${day} for month ${month}`;
  if (hour > 23) return `has an invalid hour ${hour}`;
  if (minute > 59) return `has an invalid minute ${minute}`;
  if (second > 59) return `has an invalid second ${second}`;
  // Date.UTC maps years 0..99 to 1900..1999; shift by a 400-year cycle to avoid it.
  const utc =
    year < 100
      ? Date.UTC(year + 400, month - 1, day, hour, minute, second, millis) - FOUR_CENTURIES_MS
      : Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return utc - offsetMinutes * 60_000;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
