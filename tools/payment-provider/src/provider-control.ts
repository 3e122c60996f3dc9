import type { Behaviour, BehaviourPatch } from './behaviour';
import type { Charge, ChargeList } from './provider-objects';
import type { ProviderStats } from './provider-stats';

const PAGE_SIZE = 1000;

/**
 * A client for the switches and the ledger, for tests and tools in other packages. The ledger reads
 * go through the faultable API: calm the provider first (`set({ errorRate: 0, ... })`).
 */
export class ProviderControl {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  behaviour(): Promise<Behaviour> {
    return this.request('GET', '/_control');
  }

  /** Applies at once to requests that arrive afterwards; answers the whole new behaviour. */
  set(patch: BehaviourPatch): Promise<Behaviour> {
    return this.request('PATCH', '/_control', patch);
  }

  stats(): Promise<ProviderStats> {
    return this.request('GET', '/_control/stats');
  }

  resetStats(): Promise<ProviderStats> {
    return this.request('POST', '/_control/reset-stats');
  }

  /** The whole ledger in creation order, declined charges included. */
  async charges(): Promise<Charge[]> {
    const charges: Charge[] = [];
    for (let page: ChargeList | undefined; !page || page.has_more;) {
      const after = charges.at(-1);
      page = await this.request<ChargeList>('GET', `/v1/charges?limit=${PAGE_SIZE}${after ? `&starting_after=${after.id}` : ''}`);
      charges.push(...page.data);
    }
    return charges;
  }

  async chargeByKey(key: string): Promise<Charge | undefined> {
    const list = await this.request<ChargeList>('GET', `/v1/charges?idempotency_key=${encodeURIComponent(key)}`);
    return list.data[0];
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`payment provider: ${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}
