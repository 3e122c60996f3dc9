import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error';

/** A handler for any route, so a route's own handler keeps the parameters its path declares. */
type OperatorGuard = <P>(req: Request<P>, res: Response, next: NextFunction) => void;

/**
 * Guards an operator endpoint (a list or lookup beyond the shop's own API) with the service's
 * OPERATOR_TOKEN. Without a token the endpoint is off: 404, saying how to turn it on. With one,
 * a request must carry `Authorization: Bearer <token>`, or it is a 401 with `WWW-Authenticate:
 * Bearer`. The tokens are compared as SHA-256 digests in constant time, so neither the token's
 * length nor how much of it a guess got right shows in the time an answer takes.
 */
export function operatorOnly(token: string | undefined): OperatorGuard {
  if (!token) {
    return (req, _res, next) => {
      next(new AppError(404, 'not_found', `${req.method} ${req.path}: operator endpoints are off; set OPERATOR_TOKEN to turn them on`));
    };
  }
  const expected = digest(token);
  return (req, res, next) => {
    const given = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    const problem = req.get('authorization') === undefined ? 'missing' : 'not the operator token';
    next(new AppError(401, 'unauthorized', `authorization: ${problem}; expected "Bearer <OPERATOR_TOKEN>" for this operator endpoint`));
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
