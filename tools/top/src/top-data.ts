import { PrometheusUnreachableError, type PrometheusAlert, type PrometheusClient, type Sample } from './prometheus-client';
import { resolveQuery, TOP_QUERIES, type TopQueryName } from './top-queries';

/** Everything one screen shows: the answer to each query and the alerts, as read at `takenAt`. */
export interface TopData {
  prometheusUrl: string;
  /** TOP_VHOST: the RabbitMQ series are those of this vhost; all vhosts when undefined. */
  vhost: string | undefined;
  takenAt: Date;
  /** Why Prometheus did not answer; the screen then says so and shows nothing else. */
  unreachable?: string;
  /** A query's answer; a query Prometheus refused has none and its error is in `problems`. */
  results: Partial<Record<TopQueryName, Sample[]>>;
  /** Undefined when the alerts could not be read (the reason is in `problems`). */
  alerts: PrometheusAlert[] | undefined;
  problems: string[];
}

/** Sends every query and the alerts request at once and gathers the answers. */
export async function readTopData(client: PrometheusClient, vhost: string | undefined, now = () => new Date()): Promise<TopData> {
  const takenAt = now();
  const names = Object.keys(TOP_QUERIES) as TopQueryName[];
  const [alerts, ...answers] = await Promise.allSettled([
    client.alerts(),
    ...names.map((name) => client.query(resolveQuery(TOP_QUERIES[name], vhost))),
  ]);
  const data: TopData = { prometheusUrl: client.baseUrl, vhost, takenAt, results: {}, alerts: undefined, problems: [] };
  const unreachable = [alerts, ...answers].find(
    (answer): answer is PromiseRejectedResult => answer.status === 'rejected' && answer.reason instanceof PrometheusUnreachableError,
  );
  if (unreachable) return { ...data, unreachable: (unreachable.reason as Error).message };

  if (alerts.status === 'fulfilled') data.alerts = alerts.value;
  else data.problems.push(`alerts: ${describe(alerts.reason)}`);
  answers.forEach((answer, index) => {
    const name = names[index]!;
    if (answer.status === 'fulfilled') data.results[name] = answer.value;
    else data.problems.push(`query ${name}: ${describe(answer.reason)}`);
  });
  return data;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
