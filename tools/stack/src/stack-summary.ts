import { redactUrl } from './error-description';
import type { StackSettings } from './stack-settings';

export interface SummaryInput {
  settings: StackSettings;
  elapsedMs: number;
  /** The mail catcher's addresses, when the stack started one. */
  mailCatcher?: { smtpUrl: string; messagesUrl: string };
  otlpEndpoint: string | undefined;
}

/** The one line that says the stack is usable, and where everything is. */
export function summaryLine({ settings, elapsedMs, mailCatcher, otlpEndpoint }: SummaryInput): string {
  const services = settings.services.map((service) => `${service.name} http://127.0.0.1:${service.port}`).join(', ');
  const mail = mailCatcher
    ? `mail catcher ${mailCatcher.smtpUrl} (read ${mailCatcher.messagesUrl})`
    : `mail to ${redactUrl(settings.smtpUrl ?? '')}`;
  const rabbitHost = new URL(settings.rabbitmqUrl).hostname;
  const rabbit = `RabbitMQ management http://${rabbitHost}:15672 (when its plugin is enabled: rabbitmq-plugins enable rabbitmq_management)`;
  const jaeger = otlpEndpoint
    ? `traces to ${otlpEndpoint}, Jaeger UI http://127.0.0.1:16686 if that is Jaeger`
    : 'Jaeger http://127.0.0.1:16686 after `docker compose up -d jaeger` and OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318';
  return `ready in ${(elapsedMs / 1000).toFixed(1)} s | ${services} | ${mail} | ${rabbit} | ${jaeger} | Ctrl-C stops`;
}
