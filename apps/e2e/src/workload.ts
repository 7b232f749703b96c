/**
 * A seeded workload for the default views (config/views.yaml), as a user's producers and nightly
 * exports would send it: payments, page views, signups and events no view selects, with null and
 * missing dimensions, numbers and strings in one `distinct` field, late events (days back), exact
 * duplicates (some re-sent long after the original, across Kafka, files and HTTP), and malformed
 * events of every kind CONTRACT.md §1 rejects. Pure: the caller supplies the clock and the seed.
 *
 * Every valid event the workload emits is recorded in `sent`; the oracle reads it.
 */
import { seededRandom } from '@tributary/testing';

export type Attr = string | number | boolean | null;

/** A valid event as the contract defines it: `ts` in epoch ms, attributes as sent (missing = absent). */
export interface ValidEvent {
  readonly id: string;
  readonly type: string;
  readonly ts: number;
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** A message every layer must reject, and what its reason must say. */
export interface Malformed {
  readonly kind: string;
  readonly value: Buffer;
  readonly reason: RegExp;
}

export interface KafkaMessage {
  readonly key: string;
  readonly value: Buffer;
  /** Set for a valid event (a duplicate carries the original's content). */
  readonly event?: ValidEvent;
  readonly malformed?: Malformed;
}

export interface InboxFile {
  readonly name: string;
  readonly format: 'csv' | 'ndjson' | 'parquet';
  /** CSV / NDJSON bytes; for Parquet, NDJSON rows that the caller converts with DuckDB (`parquetColumns`). */
  readonly content: Buffer;
  readonly valid: readonly ValidEvent[];
  /** Rows that must be rejected: 1-based row number (CSV: data rows after the header) and the reason. */
  readonly bad: ReadonlyArray<{ row: number; reason: RegExp }>;
}

/** Parquet column types of the inbox Parquet files (typed, as an export from a warehouse would be). */
export const parquetColumns = {
  id: 'VARCHAR',
  type: 'VARCHAR',
  ts: 'BIGINT',
  country: 'VARCHAR',
  method: 'VARCHAR',
  amount: 'DOUBLE',
  user_id: 'VARCHAR',
} as const;

export interface HttpBatch {
  readonly items: readonly unknown[];
  /** Indexes of the items the API must reject, with what the reason must say. */
  readonly rejected: ReadonlyArray<{ index: number; reason: RegExp }>;
}

const COUNTRIES = ['DE', 'FR', 'US', 'JP', null] as const;
const METHODS = ['card', 'sepa', 'paypal'] as const;
const PAGES = ['/', '/docs', '/pricing', '/a b', '/ünï/路径'] as const;
const DEVICES = ['mobile', 'desktop', null] as const;
const PLANS = ['free', 'pro', 'team'] as const;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** The malformed message kinds of CONTRACT.md §1 (`n` makes the texts unique where they can be). */
export function malformedKinds(n: number, now: number): Malformed[] {
  const ok = { id: `bad-${n}`, type: 'payment', ts: now - MINUTE };
  const text = (kind: string, value: unknown, reason: RegExp): Malformed => ({ kind, value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), reason });
  return [
    text('malformed JSON', `{"id":"bad-${n}","type":"payment"`, /malformed JSON/),
    text('a JSON array', `[${n},2,3]`, /must be a JSON object/),
    text('a JSON string', `"payment-${n}"`, /must be a JSON object/),
    text('JSON null', 'null', /must be a JSON object/),
    text('missing id', { type: 'payment', ts: now, n }, /id: is required/),
    text('empty id', { ...ok, id: '' , n}, /id: must not be empty/),
    text('id too long', { ...ok, id: `${n}-`.padEnd(129, 'x') }, /id: is 129 characters long/),
    text('id not a string', { ...ok, id: n }, /id: must be a string/),
    text('missing type', { id: ok.id, ts: ok.ts }, /type: is required/),
    text('type too long', { ...ok, type: 't'.repeat(65) }, /type: is 65 characters long/),
    text('missing ts', { id: ok.id, type: 'signup' }, /ts: is required/),
    text('ts not a date', { ...ok, ts: 'yesterday' }, /ts: .*not an ISO-8601/),
    text('ts without offset', { ...ok, ts: '2026-11-30T10:00:00' }, /no UTC offset/),
    text('ts as a digit string', { ...ok, ts: String(now) }, /epoch milliseconds must be a number/),
    text('ts with fractional ms', { ...ok, ts: now + 0.5 }, /whole number of epoch milliseconds/),
    text('ts too far ahead', { ...ok, ts: now + 3 * DAY }, /ahead of the time it was received/),
    text('nested attribute', { ...ok, meta: { a: n } }, /flatten it/),
    text('array attribute', { ...ok, tags: ['a', n] }, /flatten it/),
    text('non-finite number', `{"id":"bad-${n}","type":"payment","ts":${now},"amount":1e999}`, /amount: must be a finite number/),
    text('sum field not a number', { ...ok, amount: '12.5' }, /amount: must be a finite number or null/),
    text('avg/max field not a number', { ...ok, type: 'page_view', duration_ms: 'long' }, /duration_ms: must be a finite number or null/),
    { kind: 'not UTF-8', value: Buffer.concat([Buffer.from(`{"id":"bad-${n}","type":"signup","ts":${now},"plan":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), reason: /not valid UTF-8/ },
    { kind: 'empty message', value: Buffer.alloc(0), reason: /empty message/ },
  ];
}

export interface WorkloadOptions {
  seed: number;
  /** Makes ids unique across runs that share a broker. */
  runId: string;
  /** Share of exact duplicates among messages (default 0.05). */
  duplicateShare?: number;
  /** Share of malformed messages (default 0.02). */
  malformedShare?: number;
  /** Share of late events, 1–5 days back (default 0.1). */
  lateShare?: number;
}

export class Workload {
  /** Every valid event emitted, first copies and duplicates alike, in emission order. */
  readonly sent: ValidEvent[] = [];
  /** Every malformed Kafka message emitted. */
  readonly malformed: Malformed[] = [];
  private readonly random: () => number;
  private sequence = 0;
  private malformedSequence = 0;
  private fileSequence = 0;

  constructor(private readonly options: WorkloadOptions) {
    this.random = seededRandom(options.seed);
  }

  /** `n` messages for the events topic, around `now`: new events, duplicates of any earlier one, malformed ones. */
  kafkaMessages(n: number, now: number): KafkaMessage[] {
    const messages: KafkaMessage[] = [];
    const dup = this.options.duplicateShare ?? 0.05;
    const bad = this.options.malformedShare ?? 0.02;
    for (let i = 0; i < n; i++) {
      const r = this.random();
      if (r < bad) {
        const kinds = malformedKinds(this.malformedSequence, now);
        const malformed = kinds[this.malformedSequence++ % kinds.length] as Malformed;
        this.malformed.push(malformed);
        messages.push({ key: `bad-${this.malformedSequence}`, value: malformed.value, malformed });
      } else if (r < bad + dup && this.sent.length > 0) {
        const original = this.pick(this.sent);
        // Half the copies go to another partition than the original (another key).
        messages.push({ key: this.random() < 0.5 ? original.id : `${original.id}~copy`, value: Buffer.from(this.encode(original)), event: original });
        this.sent.push(original);
      } else {
        const event = this.newEvent(now);
        messages.push({ key: event.id, value: Buffer.from(this.encode(event)), event });
        this.sent.push(event);
      }
    }
    return messages;
  }

  /**
   * An inbox file of `rows` rows: mostly late events (a nightly export), a few copies of events
   * already sent to Kafka, and a few rows that must be rejected.
   */
  inboxFile(format: InboxFile['format'], rows: number, now: number): InboxFile {
    const name = `export-${this.options.runId}-${++this.fileSequence}.${format}`;
    const valid: ValidEvent[] = [];
    const bad: Array<{ row: number; reason: RegExp }> = [];
    const records: Array<Record<string, Attr>> = [];
    let copies: ValidEvent[] | undefined;
    for (let row = 1; row <= rows; row++) {
      const r = this.random();
      if (r < 0.04) {
        const [record, reason] = this.badFileRow(format, now);
        records.push(record);
        bad.push({ row, reason });
        continue;
      }
      let event: ValidEvent;
      copies ??= this.sent.filter((e) => fileCanHold(format, e));
      if (r < 0.1 && copies.length > 0) {
        event = this.pick(copies);
      } else {
        event = this.newEvent(now, { late: this.random() < 0.7, types: format === 'parquet' ? ['payment'] : undefined, forFile: format });
      }
      records.push({ id: event.id, type: event.type, ts: format === 'parquet' ? event.ts : new Date(event.ts).toISOString(), ...event.attrs });
      valid.push(event);
      this.sent.push(event);
    }
    return { name, format, content: Buffer.from(format === 'csv' ? toCsv(records) : records.map((r) => JSON.stringify(r)).join('\n') + '\n'), valid, bad };
  }

  /** A `POST /v1/events` body: new events, a duplicate or two, and invalid items. */
  httpBatch(n: number, now: number): HttpBatch {
    const items: unknown[] = [];
    const rejected: Array<{ index: number; reason: RegExp }> = [];
    for (let index = 0; index < n; index++) {
      const r = this.random();
      if (r < 0.1) {
        const kinds = malformedKinds(this.malformedSequence++, now).filter((k) => k.value.length > 0 && k.kind !== 'not UTF-8' && k.kind !== 'malformed JSON' && k.kind !== 'non-finite number');
        const kind = this.pick(kinds);
        items.push(JSON.parse(kind.value.toString('utf8')) as unknown);
        rejected.push({ index, reason: kind.reason });
      } else if (r < 0.15 && this.sent.length > 0) {
        const original = this.pick(this.sent);
        items.push(JSON.parse(this.encode(original)) as unknown);
        this.sent.push(original);
      } else {
        const event = this.newEvent(now);
        items.push(JSON.parse(this.encode(event)) as unknown);
        this.sent.push(event);
      }
    }
    return { items, rejected };
  }

  /** Copies of events already emitted (re-sent, e.g. after a batch run covered the originals). */
  resend(n: number): KafkaMessage[] {
    const messages: KafkaMessage[] = [];
    for (let i = 0; i < n && this.sent.length > 0; i++) {
      const original = this.pick(this.sent);
      messages.push({ key: `${original.id}~resent`, value: Buffer.from(this.encode(original)), event: original });
      this.sent.push(original);
    }
    return messages;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private newEvent(now: number, options: { late?: boolean; types?: readonly string[] | undefined; forFile?: InboxFile['format'] } = {}): ValidEvent {
    const late = options.late ?? this.random() < (this.options.lateShare ?? 0.1);
    // Recent: the last 90 minutes, a few up to 10 minutes ahead (within the allowed skew). Late: 1–5 days back.
    const ts = late ? now - DAY - Math.floor(this.random() * 4 * DAY) : now - Math.floor(this.random() * 90 * MINUTE) + (this.random() < 0.02 ? 10 * MINUTE : 0);
    const id = `e2e-${this.options.runId}-${++this.sequence}`;
    const type = options.types ? this.pick(options.types) : this.pick(['payment', 'payment', 'page_view', 'page_view', 'page_view', 'signup', 'other']);
    const attrs: Record<string, Attr> = {};
    const maybe = (name: string, value: Attr) => {
      // A null dimension is sent as null or left out: both are the null group.
      if (value === null && this.random() < 0.5) return;
      attrs[name] = value;
    };
    const user = (): Attr => {
      const r = this.random();
      if (options.forFile === 'parquet' || options.forFile === 'csv') return `u${Math.floor(this.random() * 400)}`;
      if (r < 0.05) return 42; // 42 and "42" are one distinct value
      if (r < 0.1) return '42';
      if (r < 0.13) return null;
      return `u${Math.floor(this.random() * 400)}`;
    };
    switch (type) {
      case 'payment': {
        maybe('country', this.pick(COUNTRIES));
        attrs['method'] = this.pick(METHODS);
        const a = this.random();
        const amount = a < 0.08 ? null : a < 0.2 ? Math.floor(this.random() * 100) : a < 0.23 ? -Math.round(this.random() * 5000) / 100 : Math.round(this.random() * 100_000) / 100;
        if (!(amount === null && options.forFile === undefined && this.random() < 0.5)) attrs['amount'] = amount;
        attrs['user_id'] = user();
        break;
      }
      case 'page_view':
        attrs['page'] = this.pick(PAGES);
        maybe('device', this.pick(DEVICES));
        attrs['user_id'] = user();
        attrs['duration_ms'] = this.random() < 0.1 ? null : Math.floor(this.random() * 30_000);
        attrs['referrer'] = this.random() < 0.5 ? 'search' : true;
        break;
      case 'signup':
        maybe('country', this.pick(COUNTRIES));
        attrs['plan'] = this.pick(PLANS);
        break;
      default:
        attrs['note'] = 'selected by no view';
    }
    return { id, type, ts, attrs };
  }

  private encode(event: ValidEvent): string {
    // The same instant in the three spellings the contract accepts.
    const form = hashString(event.id) % 10;
    const ts = form < 5 ? event.ts : form < 9 ? new Date(event.ts).toISOString() : isoWithOffset(event.ts, 120);
    return JSON.stringify({ id: event.id, type: event.type, ts, ...event.attrs });
  }

  private badFileRow(format: InboxFile['format'], now: number): [Record<string, Attr>, RegExp] {
    const n = ++this.malformedSequence;
    const base = { id: `bad-file-${n}`, type: 'payment', ts: format === 'parquet' ? now : new Date(now).toISOString(), country: 'DE', method: 'card' };
    const choices: Array<[Record<string, Attr>, RegExp]> =
      format === 'parquet'
        ? [
            [{ ...base, id: null }, /id/],
            [{ ...base, type: null }, /type/],
            [{ ...base, ts: now + 3 * DAY }, /ahead of the time it was received/],
          ]
        : [
            [{ ...base, id: null }, /id/],
            [{ ...base, amount: 'twelve' }, /amount: must be a finite number or null/],
            [{ ...base, ts: 'not-a-date' }, /ts:/],
            [{ ...base, ts: new Date(now + 3 * DAY).toISOString() }, /ahead of the time it was received/],
          ];
    return this.pick(choices);
  }
}

/** CSV turns number-looking cells into numbers and has no "missing": only events that survive that. */
function fileCanHold(format: InboxFile['format'], event: ValidEvent): boolean {
  if (format === 'parquet') return event.type === 'payment' && Object.values(event.attrs).every((v) => typeof v === 'string' || v === null || typeof v === 'number') && typeof (event.attrs['user_id'] ?? '') === 'string' && typeof (event.attrs['amount'] ?? 0) === 'number';
  if (format === 'csv') return Object.values(event.attrs).every((v) => typeof v !== 'boolean' && !(typeof v === 'string' && /^-?\d/.test(v)));
  return true;
}

function toCsv(records: ReadonlyArray<Record<string, Attr>>): string {
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (v: Attr | undefined) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.join(','), ...records.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

function isoWithOffset(ts: number, offsetMinutes: number): string {
  const local = new Date(ts + offsetMinutes * MINUTE).toISOString().slice(0, -1);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}
