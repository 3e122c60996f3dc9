import http from 'node:http';
import https from 'node:https';
import { text } from 'node:stream/consumers';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '@shop/logger';
import { DependencyPolicy, type BreakerSettings } from '@shop/resilience';
import { inSpan, startSpan } from '@shop/telemetry';
import {
  ProviderRejectedRequestError,
  ProviderUnavailableError,
  type ChargeResult,
  type PaymentProvider,
  type ProviderCharge,
  type RefundResult,
} from '../domain/payment-provider';

export interface ProviderClientOptions {
  url: string;
  logger: Logger;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  connections: number;
  breaker: BreakerSettings;
}

interface ProviderAnswer {
  status: number;
  body: unknown;
}

interface ChargeObject {
  id: string;
  status: 'succeeded' | 'failed';
  amount: number;
  currency: string;
  payment_method: string;
  amount_refunded: number;
}

interface ErrorObject {
  error?: { type?: string; code?: string; message?: string };
}

const tracer = trace.getTracer('@shop/payment-service');

// A broken or refused connection: the request may not have reached the provider; worth another try.
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const isTransient = (error: unknown): boolean =>
  error instanceof ProviderUnavailableError || NETWORK_ERRORS.has(String((error as { code?: unknown }).code ?? ''));

/**
 * The card provider over HTTP/JSON (tools/payment-provider speaks a Stripe-like API): keep-alive
 * connections from Node's own HTTP agent (decision 0014), every call through one DependencyPolicy (timeout per request,
 * retries with backoff and jitter for timeouts, 5xx and broken connections, a circuit breaker),
 * and each request a CLIENT span under the handler's span, retries included.
 */
export function createProviderHttpClient(
  options: ProviderClientOptions,
): PaymentProvider & { policy: DependencyPolicy; close(): Promise<void> } {
  const base = new URL(options.url);
  const transport = base.protocol === 'https:' ? https : http;
  // Idle connections are closed after 30 s; a call that finds all `connections` busy waits in the agent's queue.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: options.connections, timeout: 30_000 });

  const request = (method: 'GET' | 'POST', path: string, signal: AbortSignal, attempt: number, body?: unknown, idempotencyKey?: string) =>
    inSpan(
      startSpan(tracer, `${method} ${path.split('?')[0]}`, {
        kind: SpanKind.CLIENT,
        attributes: () => ({
          'http.request.method': method,
          'server.address': base.hostname,
          'server.port': Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          'url.full': new URL(path, base).toString(),
          'peer.service': 'payment-provider',
          ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
        }),
      }),
      async (span): Promise<ProviderAnswer> => {
        try {
          const response = await send(transport, agent, base, {
            method,
            path,
            signal,
            headers: {
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return { status: response.status, body: response.text ? (JSON.parse(response.text) as unknown) : undefined };
        } catch (error) {
          span.setAttribute('error.type', (error as { code?: string }).code ?? (error as Error).name);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        }
      },
    );

  /** One call: its requests through the policy; 5xx and 429 are failures worth another try. */
  const call = (operation: string, method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string) =>
    policy.call(async ({ signal, attempt }) => {
      const answer = await request(method, path, signal, attempt, body, idempotencyKey);
      if (answer.status >= 500 || answer.status === 429)
        throw new ProviderUnavailableError(operation, `${answer.status} ${errorText(answer)}`);
      return answer;
    });

  const policy: DependencyPolicy = new DependencyPolicy({
    name: 'payment-provider',
    logger: options.logger,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    maxBackoffMs: Math.max(options.backoffMs, 1_000),
    breaker: options.breaker,
    isTransient,
    // A real read through the same API and connections: an outage fails it as it fails charges.
    probe: async (signal) => {
      const answer = await request('GET', '/v1/charges?limit=1', signal, 1);
      if (answer.status >= 500 || answer.status === 429) throw new ProviderUnavailableError('probe', String(answer.status));
    },
  });

  return {
    policy,

    async charge({ idempotencyKey, amountCents, currency, paymentMethod }): Promise<ChargeResult> {
      const body = { amount: amountCents, currency: currency.toLowerCase(), payment_method: paymentMethod };
      const answer = await call('charge', 'POST', '/v1/charges', body, idempotencyKey);
      if (answer.status === 200) return { status: 'succeeded', chargeId: (answer.body as ChargeObject).id };
      const error = (answer.body as ErrorObject).error;
      if (answer.status === 402) return { status: 'declined', code: error?.code ?? 'card_declined', message: error?.message ?? 'declined' };
      throw new ProviderRejectedRequestError('charge', answer.status, errorText(answer));
    },

    async refund({ idempotencyKey, chargeId, amountCents }): Promise<RefundResult> {
      const answer = await call('refund', 'POST', '/v1/refunds', { charge: chargeId, amount: amountCents }, idempotencyKey);
      if (answer.status === 200) return { status: 'succeeded', refundId: (answer.body as { id: string }).id };
      const error = (answer.body as ErrorObject).error;
      if (answer.status === 400 || answer.status === 404) {
        return { status: 'failed', code: error?.code ?? String(answer.status), message: error?.message ?? '' };
      }
      throw new ProviderRejectedRequestError('refund', answer.status, errorText(answer));
    },

    async findCharge(idempotencyKey): Promise<ProviderCharge | undefined> {
      const answer = await call('charge lookup', 'GET', `/v1/charges?idempotency_key=${encodeURIComponent(idempotencyKey)}`);
      if (answer.status !== 200) throw new ProviderRejectedRequestError('charge lookup', answer.status, errorText(answer));
      const charge = (answer.body as { data: ChargeObject[] }).data.find((c) => c.status === 'succeeded');
      return (
        charge && {
          chargeId: charge.id,
          amountCents: charge.amount,
          currency: charge.currency.toUpperCase(),
          paymentMethod: charge.payment_method,
          refundedCents: charge.amount_refunded,
        }
      );
    },

    async close() {
      policy.stop();
      agent.destroy();
    },
  };
}

interface Request {
  method: string;
  path: string;
  signal: AbortSignal;
  headers: Record<string, string>;
  body: string | undefined;
}

/** One request on the agent's connections; resolves with the status and the whole body once it has arrived. */
function send(
  transport: typeof http | typeof https,
  agent: http.Agent,
  base: URL,
  { method, path, signal, headers, body }: Request,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = transport.request(
      // A URL, not its hostname: an IPv6 address keeps its brackets in URL.hostname.
      new URL(path, base),
      { method, agent, signal, headers },
      (response) => resolve(text(response).then((body) => ({ status: response.statusCode ?? 0, text: body }))),
    );
    request.on('error', reject);
    request.end(body);
  });
}

function errorText(answer: ProviderAnswer): string {
  const error = (answer.body as ErrorObject | undefined)?.error;
  return error ? `${error.type ?? 'error'}${error.code ? ` ${error.code}` : ''}: ${error.message ?? ''}` : '';
}
