/**
 * The core's error catalogue, fastify-style: every error has a stable code `TRB_<AREA>_<WHAT>`, a
 * message that says what to fix, the HTTP status to answer with where one applies, and a `retriable`
 * flag (input errors never are: retrying cannot fix them). The original error is kept as `cause`.
 */
export const errorCatalogue = {
  TRB_VIEWS_INVALID: { statusCode: 500, retriable: false },
  TRB_VIEW_NOT_FOUND: { statusCode: 404, retriable: false },
  TRB_EVENT_INVALID: { statusCode: 400, retriable: false },
  TRB_EVENT_MALFORMED: { statusCode: 400, retriable: false },
  TRB_QUERY_INVALID_TIME: { statusCode: 400, retriable: false },
  TRB_QUERY_INVALID_RANGE: { statusCode: 400, retriable: false },
  TRB_QUERY_INVALID_GRANULARITY: { statusCode: 400, retriable: false },
  TRB_QUERY_INVALID_GROUP_BY: { statusCode: 400, retriable: false },
  TRB_QUERY_INVALID_FILTER: { statusCode: 400, retriable: false },
  TRB_QUERY_TOO_MANY_BUCKETS: { statusCode: 400, retriable: false },
  TRB_STATE_INVALID: { statusCode: 500, retriable: false },
} as const satisfies Record<string, { statusCode: number; retriable: boolean }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Base class of every error the core throws. */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.statusCode = errorCatalogue[code].statusCode;
    this.retriable = errorCatalogue[code].retriable;
  }
}

/** The views file is invalid; `problems` lists every problem, each naming file, view and field. */
export class ViewsConfigError extends TributaryError {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('TRB_VIEWS_INVALID', `Invalid views file ${source}:\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ViewsConfigError';
  }
}

/** A query parameter is out of the rules of CONTRACT.md §4 (a 400). */
export class QueryError extends TributaryError {
  constructor(code: Extract<ErrorCode, `TRB_QUERY_${string}`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'QueryError';
  }
}

/** A serialized metric state does not have the shape `decodeState` expects (corrupt data). */
export class StateError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRB_STATE_INVALID', message, options);
    this.name = 'StateError';
  }
}

export function viewNotFoundError(name: string, known: readonly string[]): TributaryError {
  const list = known.length > 0 ? known.map((n) => `"${n}"`).join(', ') : '(none)';
  return new TributaryError('TRB_VIEW_NOT_FOUND', `View "${name}" does not exist; known views: ${list}`);
}
