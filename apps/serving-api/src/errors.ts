/**
 * The serving API's error catalogue (core's codes cover views, events and queries). Every error is
 * answered in fastify's shape `{statusCode, code, error, message}`; 4xx messages say what to fix.
 */
export const servingErrorCatalogue = {
  TRB_REQUEST_INVALID: { statusCode: 400, retriable: false },
  TRB_BODY_INVALID: { statusCode: 400, retriable: false },
  TRB_BODY_TOO_LARGE: { statusCode: 413, retriable: false },
  TRB_MEDIA_TYPE_UNSUPPORTED: { statusCode: 415, retriable: false },
  TRB_ADMIN_UNAUTHORIZED: { statusCode: 401, retriable: false },
  TRB_ADMIN_DISABLED: { statusCode: 503, retriable: false },
  TRB_ROUTE_NOT_FOUND: { statusCode: 404, retriable: false },
  TRB_BATCH_RUN_NOT_FOUND: { statusCode: 404, retriable: false },
  TRB_BATCH_UNAVAILABLE: { statusCode: 503, retriable: true },
  TRB_KAFKA_UNAVAILABLE: { statusCode: 503, retriable: true },
  TRB_INTERNAL: { statusCode: 500, retriable: true },
} as const satisfies Record<string, { statusCode: number; retriable: boolean }>;

export type ServingErrorCode = keyof typeof servingErrorCatalogue;

export class ServingError extends Error {
  readonly code: ServingErrorCode;
  readonly statusCode: number;
  readonly retriable: boolean;

  constructor(code: ServingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServingError';
    this.code = code;
    this.statusCode = servingErrorCatalogue[code].statusCode;
    this.retriable = servingErrorCatalogue[code].retriable;
  }
}
