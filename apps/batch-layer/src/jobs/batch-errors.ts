import { UnrecoverableError } from '@tributary/adapter-queue';

/**
 * The batch layer's errors (TRB_BATCH_*). Input that will never become valid by retrying (a corrupt
 * file in the lake, unknown views) is an UnrecoverableError, so BullMQ fails the run at once; anything
 * else (Kafka, Redis, a slow archiver) is retried with backoff.
 */
export class BatchInputError extends UnrecoverableError {
  readonly retriable = false;
  constructor(
    readonly code: 'TRB_BATCH_CORRUPT_INPUT' | 'TRB_BATCH_UNKNOWN_VIEW',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message);
    this.name = 'BatchInputError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export class BatchRetriableError extends Error {
  readonly retriable = true;
  constructor(
    readonly code: 'TRB_BATCH_ARCHIVE_BEHIND' | 'TRB_BATCH_NO_SPEED_STORE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BatchRetriableError';
  }
}
