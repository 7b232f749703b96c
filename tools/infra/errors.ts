/**
 * The error catalogue of tools/infra: one code per failure, a message that says what to fix,
 * and the original error kept as `cause`.
 */
export type InfraErrorCode =
  | 'TRB_INFRA_MISSING_TOOL'
  | 'TRB_INFRA_ENV_UNREACHABLE'
  | 'TRB_INFRA_DOWNLOAD_FAILED'
  | 'TRB_INFRA_FORMAT_FAILED'
  | 'TRB_INFRA_START_FAILED'
  | 'TRB_INFRA_START_TIMEOUT'
  | 'TRB_INFRA_ABORTED'
  | 'TRB_INFRA_STATE_FILE';

const RETRIABLE: ReadonlySet<InfraErrorCode> = new Set<InfraErrorCode>([
  'TRB_INFRA_ENV_UNREACHABLE',
  'TRB_INFRA_DOWNLOAD_FAILED',
  'TRB_INFRA_START_TIMEOUT',
]);

export class InfraError extends Error {
  readonly code: InfraErrorCode;
  readonly retriable: boolean;

  constructor(code: InfraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraError';
    this.code = code;
    this.retriable = RETRIABLE.has(code);
  }
}

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export const abortedError = (what: string, signal?: AbortSignal): InfraError =>
  new InfraError('TRB_INFRA_ABORTED', `${what} was aborted`, { cause: signal?.reason });

export const throwIfAborted = (what: string, signal?: AbortSignal): void => {
  if (signal?.aborted) throw abortedError(what, signal);
};
