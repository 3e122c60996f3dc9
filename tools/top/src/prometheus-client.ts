/** One element of an instant vector: its labels and its value (NaN and ±Infinity included). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** An alert Prometheus is evaluating, as `/api/v1/alerts` reports it. */
export interface PrometheusAlert {
  name: string;
  state: 'firing' | 'pending';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When the alert became pending, as Prometheus wrote it (RFC 3339). */
  activeAt: string | undefined;
}

/** Prometheus did not answer in time, refused the connection, or something else answered. */
export class PrometheusUnreachableError extends Error {
  override name = 'PrometheusUnreachableError';
}

/** Prometheus answered with an error, e.g. a query it cannot parse. */
export class PrometheusQueryError extends Error {
  override name = 'PrometheusQueryError';
}

interface ApiAnswer {
  status?: string;
  error?: string;
  data?: unknown;
}

/** The two calls of Prometheus's HTTP API that top makes, each given `timeoutMs` to answer. */
export class PrometheusClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 2_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** An instant query evaluated now; a scalar answer comes back as one sample without labels. */
  async query(promql: string): Promise<Sample[]> {
    const data = (await this.get(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
      resultType?: string;
      result?: unknown;
    };
    if (data.resultType === 'vector') {
      const result = data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
      return result.map((element) => ({ labels: element.metric, value: Number(element.value[1]) }));
    }
    if (data.resultType === 'scalar') return [{ labels: {}, value: Number((data.result as [number, string])[1]) }];
    throw new PrometheusQueryError(`expected an instant vector, got a ${String(data.resultType)}`);
  }

  /** The alerts that are pending or firing now. */
  async alerts(): Promise<PrometheusAlert[]> {
    const data = (await this.get('/api/v1/alerts')) as {
      alerts?: Array<{ labels?: Record<string, string>; annotations?: Record<string, string>; state?: string; activeAt?: string }>;
    };
    return (data.alerts ?? []).flatMap((alert) =>
      alert.state === 'firing' || alert.state === 'pending'
        ? [
            {
              name: alert.labels?.alertname ?? '(unnamed)',
              state: alert.state,
              labels: alert.labels ?? {},
              annotations: alert.annotations ?? {},
              activeAt: alert.activeAt,
            },
          ]
        : [],
    );
  }

  private async get(path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new PrometheusUnreachableError(describeFetchError(error, this.timeoutMs));
    }
    const text = await response.text().catch(() => '');
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      throw new PrometheusUnreachableError(
        `HTTP ${response.status} that is not Prometheus's API (${text.slice(0, 60).trim() || 'empty body'})`,
      );
    }
    if (answer.status !== 'success') throw new PrometheusQueryError(answer.error ?? `HTTP ${response.status}`);
    return answer.data ?? {};
  }
}

/** "connect ECONNREFUSED 127.0.0.1:9090" rather than fetch's bare "fetch failed". */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { message?: string; code?: string; errors?: Error[] } | undefined) : undefined;
  // Several addresses tried (localhost as ::1 and 127.0.0.1) give an AggregateError with no message.
  const reason = cause?.message || cause?.errors?.[0]?.message || cause?.code;
  if (reason) return reason;
  return error instanceof Error ? error.message : String(error);
}
