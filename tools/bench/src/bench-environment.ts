import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sampleServices } from '@shop/load/dist/src/service-resources';
import { startProviderProcess, type ProviderProcess } from '@shop/payment-provider';
import { PARTICIPANTS, SERVICE_NAMES, serviceInstances, type ServiceName } from '@shop/catalog';
import { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';
import { loadParticipantNice } from '@shop/stack/dist/src/stack-settings';
import {
  createTestInfrastructure,
  freePortRange,
  SmtpSink,
  TEST_OPERATOR_TOKEN,
  type ServiceAccess,
  type TestInfrastructure,
} from '@shop/testing';
import { OtlpSink } from './otlp-sink';

export { PARTICIPANTS };

/**
 * The fake card provider calm and answering at once, whatever PROVIDER_* (or HOST) this process
 * was started with: the bench sets its latency itself, through the control API.
 */
const CALM_PROVIDER_ENV = {
  HOST: '127.0.0.1',
  PROVIDER_LATENCY_MS: '0',
  PROVIDER_LATENCY_P99_MS: '0',
  PROVIDER_ERROR_RATE: '0',
  PROVIDER_HANG_RATE: '0',
  PROVIDER_DECLINE_RATE: '0',
  PROVIDER_OUTAGE: 'false',
  // Empty is "not set": the ledger stays in memory.
  PROVIDER_LEDGER_FILE: '',
};

/** The most processes of a participant the bench starts (the replicas comparison). */
const MAX_REPLICAS = 2;

/** The services with the OpenTelemetry SDK off: no spans, no metrics, the SDK not even loaded. */
const TELEMETRY_OFF = { OTEL_SDK_DISABLED: 'true' };

/**
 * The five services as processes on this machine, in a vhost and databases of the bench's own,
 * with an SMTP sink, the fake card provider as a process of the bench's own (it outlives service
 * restarts, and its latency is switched at run time) and, for the tracing comparison, an OTLP
 * sink standing in for Jaeger. Each service has a port of its own for its Prometheus endpoint,
 * in a range right after the services' ports.
 */
export class BenchEnvironment {
  supervisor!: ServiceSupervisor;
  orderUrl = '';
  private constructor(
    readonly infra: TestInfrastructure,
    private readonly sink: SmtpSink,
    readonly receiver: OtlpSink,
    readonly provider: ProviderProcess,
    /** The services' ports, replica by replica in catalog order, then their metrics ports in the same order. */
    private readonly basePort: number,
    private readonly logDirectory: string,
    /** Each service's own credentials (its broker user, its database role), as under compose. */
    private readonly access: Record<ServiceName, ServiceAccess>,
  ) {}

  static async create(repoRoot: string): Promise<BenchEnvironment> {
    const infra = await createTestInfrastructure('bench');
    await infra.provision(SERVICE_NAMES);
    const access = Object.fromEntries(
      await Promise.all(SERVICE_NAMES.map(async (name) => [name, await infra.serviceAccess(name)] as const)),
    ) as Record<ServiceName, ServiceAccess>;
    const environment = new BenchEnvironment(
      infra,
      await new SmtpSink().start(),
      await new OtlpSink().start(),
      await startProviderProcess(CALM_PROVIDER_ENV),
      await freePortRange(2 * MAX_REPLICAS * SERVICE_NAMES.length),
      path.join(repoRoot, '.bench', infra.runId),
      access,
    );
    return environment;
  }

  /** A superuser's URL of the service's database, for the bench's own readings. */
  databaseUrl(service: ServiceName): string {
    return this.infra.databaseUrl(service);
  }

  /**
   * Each service's Prometheus endpoint, by catalog name; it answers while the services run with
   * the SDK on and OTEL_METRICS_EXPORTER=prometheus.
   */
  get metricsUrls(): Record<ServiceName, string> {
    return Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, `http://127.0.0.1:${this.metricsPort(i)}/metrics`])) as Record<
      ServiceName,
      string
    >;
  }

  /**
   * (Re)starts every service with `telemetry` (OTEL_* variables and any other) over the bench's
   * own: by default the SDK off. With it on, spans go to the receiver (when a trace exporter is
   * on) and metrics are served on each service's metrics port (when the metrics exporter is on).
   * `replicas` processes of each participant (up to MAX_REPLICAS), one of the order service.
   */
  async start(repoRoot: string, telemetry: Record<string, string> = TELEMETRY_OFF, replicas = 1): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
      throw new Error(`replicas: 1 to ${MAX_REPLICAS}, got ${replicas}`);
    await this.supervisor?.stopAll();
    const processes = serviceInstances((name) => (PARTICIPANTS.includes(name) ? replicas : 1));
    this.supervisor = new ServiceSupervisor(
      repoRoot,
      this.logDirectory,
      processes.map(({ name, instance, slot }) => ({
        name,
        instance,
        port: this.basePort + slot,
        env: {
          ...process.env,
          PORT: String(this.basePort + slot),
          DATABASE_URL: this.access[name].databaseUrl,
          RABBITMQ_URL: this.access[name].rabbitmqUrl,
          OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
          SMTP_URL: this.sink.url,
          PAYMENT_PROVIDER_URL: this.provider.url,
          LOG_LEVEL: 'warn',
          ...TELEMETRY_OFF,
          OTEL_EXPORTER_OTLP_ENDPOINT: this.receiver.endpoint,
          // The SDK's default encoding, as the services send to Jaeger under docker compose.
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
          OTEL_EXPORTER_PROMETHEUS_PORT: String(this.metricsPort(slot)),
          ...telemetry,
        },
      })),
      // As `npm run stack` does: STACK_PARTICIPANT_NICE, else the catalog's PARTICIPANT_NICE.
      loadParticipantNice(),
    );
    this.supervisor.startAll();
    await this.supervisor.waitUntilReady(60_000);
    this.orderUrl = this.supervisor.urlOf('order');
  }

  /**
   * The CPU ticks of this environment's services (@shop/load's sampleServices, kept to the
   * processes this one started): services that other runs on the machine start at the same time
   * are not counted.
   */
  sampleServices(): ReturnType<typeof sampleServices> {
    return sampleServices().filter((sample) => parentPid(sample.pid) === process.pid);
  }

  /** Stops every service gracefully (SIGTERM), resolved once all have exited: what they write at exit (a CPU profile) is then on disk. */
  async stopServices(): Promise<void> {
    await this.supervisor?.stopAll();
  }

  /** The metrics port of the process in `slot` (replica k of the service at catalog index i: k x services + i). */
  private metricsPort(slot: number): number {
    return this.basePort + MAX_REPLICAS * SERVICE_NAMES.length + slot;
  }

  async close(keep: boolean): Promise<void> {
    await this.supervisor?.stopAll();
    await this.provider.stop();
    await this.sink.close();
    await this.receiver.stop();
    if (!keep) await this.infra.cleanup();
  }
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
