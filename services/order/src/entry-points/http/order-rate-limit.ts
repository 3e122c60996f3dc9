import type { ErrorBody } from '@shop/http';
import { rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';

/**
 * At most `perMinute` POST /orders a minute from one client address (express-rate-limit, counted
 * in this process's memory, so per replica). Over it: 429 with `Retry-After` and a JSON error, and
 * nothing stored. `undefined` (no limit) when `perMinute` is 0, the default.
 */
export function orderRateLimit(perMinute: number): RateLimitRequestHandler | undefined {
  if (perMinute === 0) return undefined;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      res
        .status(429)
        .set('Retry-After', String(seconds))
        .json({
          error: {
            code: 'rate_limited',
            message: `client: at most ${perMinute} orders a minute from one address (ORDER_RATE_LIMIT_PER_MINUTE); retry after ${seconds} s`,
          },
        } satisfies ErrorBody);
    },
  });
}
