/** GET /_control/stats: what the provider did to the /v1 requests since it started (or since reset-stats). */
export interface ProviderStats {
  since: string;
  /** Keyed like 'POST /v1/charges'. */
  requestsByRoute: Record<string, number>;
  /** Keyed by status code; injected 500s and outage 503s included. */
  answeredByStatus: Record<string, number>;
  injectedErrors: number;
  /** Never answered: injected hangs and tok_timeout charges. */
  hungRequests: number;
  /** Hung requests whose client has not given up yet. */
  openHungRequests: number;
  refusedByOutage: number;
  /** Answers replayed from an earlier request with the same idempotency key. */
  replays: number;
}

type Counter = 'injectedErrors' | 'hungRequests' | 'refusedByOutage' | 'replays';

export class StatsCounters {
  private stats = StatsCounters.empty();

  private static empty(): Omit<ProviderStats, 'openHungRequests'> {
    return {
      since: new Date().toISOString(),
      requestsByRoute: {},
      answeredByStatus: {},
      injectedErrors: 0,
      hungRequests: 0,
      refusedByOutage: 0,
      replays: 0,
    };
  }

  request(route: string): void {
    this.stats.requestsByRoute[route] = (this.stats.requestsByRoute[route] ?? 0) + 1;
  }

  answered(status: number): void {
    this.stats.answeredByStatus[status] = (this.stats.answeredByStatus[status] ?? 0) + 1;
  }

  count(counter: Counter): void {
    this.stats[counter] += 1;
  }

  snapshot(openHungRequests: number): ProviderStats {
    return structuredClone({ ...this.stats, openHungRequests });
  }

  reset(): void {
    this.stats = StatsCounters.empty();
  }
}
