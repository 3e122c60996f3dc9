import { answer, idempotencyError, invalidRequest, type ProviderAnswer } from './provider-answers';

/** Charges and refunds keep their keys apart, so a client may reuse an order id as both. */
export type IdempotencyScope = 'charges' | 'refunds';

/** The first answer to a key, kept so a retry gets it again. */
export interface IdempotencyRecord {
  scope: IdempotencyScope;
  key: string;
  /** The request's parameters, normalised, as canonical JSON. */
  fingerprint: string;
  status: number;
  body: unknown;
}

const MAX_KEY_LENGTH = 255;

/** The Idempotency-Key header, or the 400 a request without a usable one gets. */
export function readIdempotencyKey(header: string | undefined): { key: string } | { rejected: ProviderAnswer } {
  const key = header?.trim();
  if (!key) return { rejected: invalidRequest('Idempotency-Key', 'The Idempotency-Key header is required') };
  if (key.length > MAX_KEY_LENGTH) {
    return { rejected: invalidRequest('Idempotency-Key', `The Idempotency-Key header is longer than ${MAX_KEY_LENGTH} characters`) };
  }
  return { key };
}

export function fingerprintOf(params: Record<string, string | number | null>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((name) => [name, params[name]]),
  );
}

export class IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();

  remember(record: IdempotencyRecord): void {
    this.records.set(`${record.scope}:${record.key}`, structuredClone(record));
  }

  /** The first answer again for a repeated key, a 400 when its parameters differ, undefined for a new key. */
  answerFor(scope: IdempotencyScope, key: string, fingerprint: string): ProviderAnswer | undefined {
    const record = this.records.get(`${scope}:${key}`);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint) {
      return idempotencyError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with; '${key}' was used with other parameters`,
      );
    }
    return answer(record.status, structuredClone(record.body), true);
  }
}
