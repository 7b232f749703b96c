import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ServingError } from '../errors';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * A preHandler for admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time
 * (SHA-256 of both sides, so equal lengths, then `timingSafeEqual`). 503 while no token is set,
 * 401 for a wrong or missing one.
 */
export function adminGuard(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = token === undefined ? undefined : digest(token);
  return async (request) => {
    if (expected === undefined) {
      throw new ServingError('TRB_ADMIN_DISABLED', 'admin routes are disabled: set ADMIN_TOKEN (at least 16 characters) and restart the serving API');
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([^\s]+)\s*$/i.exec(header);
    const given = digest(match?.[1] ?? '');
    if (!match || !timingSafeEqual(given, expected)) {
      throw new ServingError('TRB_ADMIN_UNAUTHORIZED', 'missing or wrong admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    }
  };
}
