import path from 'node:path';
import { startProviderProcess, type ProviderProcess } from '@shop/payment-provider';
import { PARTICIPANTS, SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';
import { createTestInfrastructure, freePortRange, SmtpSink, type TestInfrastructure } from '@shop/testing';
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

/**
 * The five services as processes on this machine, in a vhost and databases of the bench's own,
 * with an SMTP sink, the fake card provider as a process of the bench's own (it outlives service
 * restarts, and its latency is switched at run time) and, for the tracing comparison, an OTLP
 * sink standing in for Jaeger.
 */
export class BenchEnvironment {
  supervisor!: ServiceSupervisor;
  orderUrl = '';
  private constructor(
    readonly infra: TestInfrastructure,
    private readonly sink: SmtpSink,
    readonly receiver: OtlpSink,
    readonly provider: ProviderProcess,
    private readonly basePort: number,
    private readonly logDirectory: string,
  ) {}

  static async create(repoRoot: string): Promise<BenchEnvironment> {
    const infra = await createTestInfrastructure('bench');
    const environment = new BenchEnvironment(
      infra,
      await new SmtpSink().start(),
      await new OtlpSink().start(),
      await startProviderProcess(CALM_PROVIDER_ENV),
      await freePortRange(SERVICE_NAMES.length),
      path.join(repoRoot, '.bench', infra.runId),
    );
    return environment;
  }

  databaseUrl(service: ServiceName): string {
    return this.infra.databaseUrl(service);
  }

  /** (Re)starts every service, with tracing exported to the receiver or switched off. */
  async start(repoRoot: string, tracing: boolean, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.supervisor?.stopAll();
    this.supervisor = new ServiceSupervisor(
      repoRoot,
      this.logDirectory,
      SERVICE_NAMES.map((name, i) => ({
        name,
        port: this.basePort + i,
        env: {
          ...process.env,
          PORT: String(this.basePort + i),
          DATABASE_URL: this.databaseUrl(name),
          RABBITMQ_URL: this.infra.rabbitmqUrl,
          SMTP_URL: this.sink.url,
          PAYMENT_PROVIDER_URL: this.provider.url,
          LOG_LEVEL: 'warn',
          OTEL_SDK_DISABLED: tracing ? 'false' : 'true',
          OTEL_EXPORTER_OTLP_ENDPOINT: this.receiver.endpoint,
          // The SDK's default encoding, as the services send to Jaeger under docker compose.
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          ...extraEnv,
        },
      })),
    );
    this.supervisor.startAll();
    await this.supervisor.waitUntilReady(60_000);
    this.orderUrl = this.supervisor.urlOf('order');
  }

  async close(keep: boolean): Promise<void> {
    await this.supervisor?.stopAll();
    await this.provider.stop();
    await this.sink.close();
    await this.receiver.stop();
    if (!keep) await this.infra.cleanup();
  }
}
