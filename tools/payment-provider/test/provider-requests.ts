import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export function buildCharge(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { amount: 1250, currency: 'eur', payment_method: 'tok_visa', ...overrides };
}

export function newKey(): string {
  return `test-${randomUUID()}`;
}

export async function post(url: string, path: string, body: unknown, key?: string, signal?: AbortSignal): Promise<ApiResponse> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
    body: JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export async function get(url: string, path: string): Promise<ApiResponse> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export async function patch(url: string, path: string, body: unknown): Promise<ApiResponse> {
  const response = await fetch(`${url}${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Polls until `check` holds; the provider's counters move a moment after the client sees a result. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}
