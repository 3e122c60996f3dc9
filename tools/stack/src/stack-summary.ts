import { redactUrl } from '@shop/config';
import type { StackSettings } from './stack-settings';

export interface SummaryInput {
  settings: StackSettings;
  elapsedMs: number;
  /** The mail catcher's addresses, when the stack started one. */
  mailCatcher?: { smtpUrl: string; messagesUrl: string };
  paymentProviderUrl: string | undefined;
  /** True when the stack started the fake provider, whose switches can be changed at run time. */
  fakeProvider: boolean;
  otlpEndpoint: string | undefined;
  tracingDisabled: boolean;
  /** Where the metrics, Prometheus and the exporters are (StackMonitoring.describe). */
  monitoring: string;
  /**
   * What the operator endpoints (GET /orders, /stock, ...) want as `Authorization: Bearer`, when
   * the stack made it up; undefined when it came from OPERATOR_TOKEN, which is then not shown.
   */
  operatorToken: string | undefined;
}

/** The one line that says the stack is usable, and where everything is. */
export function summaryLine({
  settings,
  elapsedMs,
  mailCatcher,
  paymentProviderUrl,
  fakeProvider,
  otlpEndpoint,
  tracingDisabled,
  monitoring,
  operatorToken,
}: SummaryInput): string {
  const services = settings.services.map((service) => `${service.instance} http://127.0.0.1:${service.port}`).join(', ');
  const mail = mailCatcher
    ? `mail catcher ${mailCatcher.smtpUrl} (read ${mailCatcher.messagesUrl})`
    : `mail to ${redactUrl(settings.smtpUrl ?? '')}`;
  const provider = fakeProvider
    ? `fake card provider ${paymentProviderUrl} (switches: ${paymentProviderUrl}/_control)`
    : `card provider ${redactUrl(paymentProviderUrl ?? '')}`;
  const rabbitHost = new URL(settings.rabbitmqUrl).hostname;
  const rabbit = `RabbitMQ management http://${rabbitHost}:15672 (when its plugin is enabled: rabbitmq-plugins enable rabbitmq_management)`;
  // @shop/telemetry exports to http://localhost:4318 unless told otherwise.
  const jaeger = tracingDisabled
    ? 'tracing off (OTEL_SDK_DISABLED)'
    : `traces to ${otlpEndpoint ?? 'http://localhost:4318'}, Jaeger UI http://127.0.0.1:16686 (\`docker compose up -d jaeger\`)`;
  const vhost = decodeURIComponent(new URL(settings.rabbitmqUrl).pathname.slice(1));
  const operator = `operator endpoints: Authorization: Bearer ${operatorToken ?? '$OPERATOR_TOKEN'}`;
  const order = settings.services.find((service) => service.name === 'order');
  const live = order ? ` | live page http://127.0.0.1:${order.port}/live/#token=${operatorToken ?? '$OPERATOR_TOKEN'}` : '';
  return `ready in ${(elapsedMs / 1000).toFixed(1)} s | ${services}${live} | ${mail} | ${provider} | ${rabbit}, vhost ${vhost} | ${jaeger} | ${monitoring} | ${operator} | Ctrl-C stops`;
}
