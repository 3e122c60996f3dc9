import path from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@shop/stack/dist/src/service-catalog';
import { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';
import { createTestInfrastructure, freePortRange, SmtpSink, type TestInfrastructure } from '@shop/testing';
import { OtlpSink } from './otlp-sink';

export const PARTICIPANTS: ServiceName[] = ['inventory', 'payment', 'warehouse', 'email'];

/**
 * The five services as processes on this machine, in a vhost and databases of the bench's own,
 * with an SMTP sink and, for the tracing comparison, an OTLP sink standing in for Jaeger.
 */
export class BenchEnvironment {
  supervisor!: ServiceSupervisor;
  orderUrl = '';
  private constructor(
    readonly infra: TestInfrastructure,
    private readonly sink: SmtpSink,
    readonly receiver: OtlpSink,
    private readonly basePort: number,
    private readonly logDirectory: string,
  ) {}

  static async create(repoRoot: string): Promise<BenchEnvironment> {
    const infra = await createTestInfrastructure('bench');
    const environment = new BenchEnvironment(infra, await new SmtpSink().start(), await new OtlpSink().start(), await freePortRange(SERVICE_NAMES.length), path.join(repoRoot, '.bench', infra.runId));
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
    await this.sink.close();
    await this.receiver.stop();
    if (!keep) await this.infra.cleanup();
  }
}
