import { TributaryError } from '@tributary/core';
import type { FastifyError, FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ServingError } from '../errors';

interface HttpError {
  statusCode: number;
  code: string;
  message: string;
}

const BODY_LIMIT_TEXT = '1 MiB';

/**
 * The one error handler: every error is answered in fastify's shape `{statusCode, code, error,
 * message}`. 4xx messages say what to fix; a 5xx says "Internal Server Error" and is logged (our own
 * 503s, which name a missing setting or service, keep their message).
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const http = toHttpError(error);
    if (http.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(http.statusCode).send({ statusCode: http.statusCode, code: http.code, error: STATUS_CODES[http.statusCode] ?? 'Error', message: http.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return reply.code(404).send({
      statusCode: 404,
      code: 'TRB_ROUTE_NOT_FOUND',
      error: 'Not Found',
      message: `${request.method} ${path.slice(0, 200)} does not exist: see /docs for the routes`,
    });
  });
}

export function toHttpError(error: unknown): HttpError {
  if (error instanceof ServingError) {
    const shown = error.statusCode < 500 || error.code === 'TRB_BATCH_UNAVAILABLE' || error.code === 'TRB_ADMIN_DISABLED';
    return shown ? { statusCode: error.statusCode, code: error.code, message: error.message } : internal();
  }
  if (error instanceof TributaryError) return error.statusCode < 500 ? { statusCode: error.statusCode, code: error.code, message: error.message } : internal();
  const e = error as Partial<FastifyError> & { validation?: unknown };
  if (Array.isArray(e.validation)) {
    return { statusCode: 400, code: 'TRB_REQUEST_INVALID', message: validationMessage(e.validation as ValidationItem[], e.validationContext) };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, code: 'TRB_BODY_TOO_LARGE', message: `the body is larger than ${BODY_LIMIT_TEXT}: send fewer events per request` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 415, code: 'TRB_MEDIA_TYPE_UNSUPPORTED', message: 'unsupported content-type: send application/json (or application/x-ndjson to POST /v1/events)' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, code: 'TRB_BODY_INVALID', message: 'the body is empty but content-type is application/json: send a JSON body' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { statusCode: 400, code: 'TRB_BODY_INVALID', message: `the body is not valid JSON: ${shorten(e.message ?? '')}` };
    default:
      break;
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const json = error instanceof SyntaxError;
    return {
      statusCode: status,
      code: json ? 'TRB_BODY_INVALID' : 'TRB_REQUEST_INVALID',
      message: json ? `the body is not valid JSON: ${shorten(e.message ?? '')}` : shorten(e.message ?? 'bad request'),
    };
  }
  return internal();
}

const internal = (): HttpError => ({ statusCode: 500, code: 'TRB_INTERNAL', message: 'Internal Server Error' });

const shorten = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

interface ValidationItem {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Ajv's errors as one sentence naming the parameter and the rule, e.g. `querystring: unknown parameter "groupby"`. */
function validationMessage(items: readonly ValidationItem[], context: string | undefined): string {
  const where = context ?? 'request';
  const parts = items.slice(0, 5).map((item) => {
    const path = (item.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (item.keyword === 'additionalProperties') {
      const name = String(item.params?.['additionalProperty'] ?? '?');
      return `unknown ${where === 'querystring' ? 'parameter' : 'property'} "${shorten(name)}"${path ? ` in ${path}` : ''}`;
    }
    return `${path || where} ${item.message ?? 'is invalid'}`;
  });
  return `${where}: ${parts.join('; ')}: see /docs for the rules`;
}
