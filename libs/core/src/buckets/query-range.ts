import { QueryError } from '../errors';
import { parseTime } from '../events/parse-time';
import {
  ceilBucket,
  floorBucket,
  formatBucket,
  GRANULARITY_MS,
  type Granularity,
  isFinerThan,
  isQueryGranularity,
  type QueryGranularity,
} from './granularity';

export const MAX_QUERY_BUCKETS = 100_000;
export const DEFAULT_QUERY_SPAN_MS = 3_600_000;

export interface RangeInput {
  /** ISO-8601 with offset, or epoch ms (a number or a string of digits); default `to` − 1 hour. */
  readonly from?: string | number | undefined;
  /** Same forms; default `now`. */
  readonly to?: string | number | undefined;
  /** `minute`, `hour`, `day` or `all`; default the view's. */
  readonly granularity?: string | undefined;
}

export interface QueryRange {
  /** Inclusive, floored to the view's granularity. */
  readonly from: number;
  /** Exclusive, ceiled to the view's granularity. */
  readonly to: number;
  readonly granularity: QueryGranularity;
}

/**
 * A query's time range per CONTRACT.md §4. `from` and `to` are aligned to the VIEW's granularity (the
 * finest bucket stored), as the contract says, also when a coarser granularity is asked: a row then
 * holds the part of its coarser bucket that lies in [from, to). The 100 000-bucket limit counts
 * buckets of the view's granularity too, since that is what has to be read and merged. Throws a
 * QueryError (400) that says what to fix.
 */
export function normalizeRange(viewGranularity: Granularity, input: RangeInput, now: number): QueryRange {
  const granularity = input.granularity ?? viewGranularity;
  if (!isQueryGranularity(granularity)) {
    throw new QueryError('TRB_QUERY_INVALID_GRANULARITY', `granularity ${JSON.stringify(granularity)} is invalid: use minute, hour, day or all`);
  }
  if (isFinerThan(granularity, viewGranularity)) {
    throw new QueryError(
      'TRB_QUERY_INVALID_GRANULARITY',
      `granularity "${granularity}" is finer than the view's "${viewGranularity}": use ${coarserOrEqual(viewGranularity).join(', ')}`,
    );
  }
  const to = input.to === undefined ? now : time('to', input.to);
  const from = input.from === undefined ? to - DEFAULT_QUERY_SPAN_MS : time('from', input.from);
  const alignedFrom = floorBucket(from, viewGranularity);
  const alignedTo = ceilBucket(to, viewGranularity);
  if (alignedFrom > alignedTo) {
    throw new QueryError('TRB_QUERY_INVALID_RANGE', `from (${formatBucket(from)}) must not be after to (${formatBucket(to)})`);
  }
  const buckets = (alignedTo - alignedFrom) / GRANULARITY_MS[viewGranularity];
  if (buckets > MAX_QUERY_BUCKETS) {
    throw new QueryError(
      'TRB_QUERY_TOO_MANY_BUCKETS',
      `the range ${formatBucket(alignedFrom)} to ${formatBucket(alignedTo)} spans ${buckets} ${viewGranularity} buckets; ` +
        `at most ${MAX_QUERY_BUCKETS} are allowed: narrow from/to`,
    );
  }
  return { from: alignedFrom, to: alignedTo, granularity };
}

function time(name: 'from' | 'to', value: string | number): number {
  const parsed = parseTime(value, { acceptDigitString: true });
  if (typeof parsed === 'string') throw new QueryError('TRB_QUERY_INVALID_TIME', `${name}: ${parsed}`);
  return parsed;
}

function coarserOrEqual(g: Granularity): QueryGranularity[] {
  const all: QueryGranularity[] = ['minute', 'hour', 'day', 'all'];
  return all.filter((x) => !isFinerThan(x, g));
}
