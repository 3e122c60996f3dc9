import type { z } from 'zod';
import type { DeclineCode, ProviderErrorBody } from './provider-objects';

/**
 * What a route's work decides: an answer to send (which faults may still replace), or no answer
 * at all, for a request the provider pretends never to have processed (tok_timeout).
 */
export type ProviderAnswer = { kind: 'answer'; status: number; body: unknown; replayed: boolean } | { kind: 'never-answer' };

export function answer(status: number, body: unknown, replayed = false): ProviderAnswer {
  return { kind: 'answer', status, body, replayed };
}

function errorAnswer(status: number, error: ProviderErrorBody['error']): ProviderAnswer {
  return answer(status, { error });
}

export function invalidRequest(param: string | undefined, message: string, code?: string, status = 400): ProviderAnswer {
  return errorAnswer(status, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });
}

export function noSuch(param: string, what: string, id: string): ProviderAnswer {
  return invalidRequest(param, `No such ${what}: '${id}'`, 'resource_missing', 404);
}

export function idempotencyError(message: string): ProviderAnswer {
  return errorAnswer(400, { type: 'idempotency_error', message });
}

export function apiError(status: number, message: string): ProviderAnswer {
  return errorAnswer(status, { type: 'api_error', message });
}

export function cardError(code: DeclineCode, message: string, chargeId: string): ProviderErrorBody {
  return { error: { type: 'card_error', code, message, charge: chargeId } };
}

/** The first problem zod found, named by its field the way Stripe's `param` does. */
export function firstIssue(error: z.ZodError): { param: string | undefined; message: string } {
  const issue = error.issues[0];
  if (!issue) return { param: undefined, message: 'Invalid request' };
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [...issue.path, ...(unknownKey ? [unknownKey] : [])].map(String).join('.');
  const message = unknownKey ? 'Received unknown parameter' : issue.message;
  return { param: path || undefined, message: path ? `${path}: ${message}` : message };
}

export function invalidParams(error: z.ZodError): ProviderAnswer {
  const { param, message } = firstIssue(error);
  return invalidRequest(param, message);
}
