import { createTestInfrastructure, serviceTestEnv, SmtpSink, TestBrokerClient, type TestInfrastructure } from '@shop/testing';
import { service as emailService } from '../src/main';

export type EmailService = Awaited<ReturnType<typeof emailService.start>>;

export interface EmailServiceUnderTest {
  infra: TestInfrastructure;
  /** The mail server it sends to; a test that restarts it puts the new one in its place. */
  sink: SmtpSink;
  service: EmailService;
  client: TestBrokerClient;
}

/** The email service on this run's own vhost and database, sending to a mail server the test owns. */
export async function startEmailService(settings: Record<string, string>): Promise<EmailServiceUnderTest> {
  const infra = await createTestInfrastructure('email');
  const sink = await new SmtpSink().start();
  const service = await emailService.startWith(await serviceTestEnv(infra, 'email', { SMTP_URL: sink.url, ...settings }));
  await service.broker.waitUntilConnected(10_000);
  const client = await TestBrokerClient.connect(infra.rabbitmqUrl);
  return { infra, sink, service, client };
}

/** Stops what started, in reverse order; any part may be missing when the start failed half-way. */
export async function stopEmailService(parts: Partial<EmailServiceUnderTest>): Promise<void> {
  await parts.client?.close();
  await parts.service?.stop();
  await parts.sink?.close();
  await parts.infra?.cleanup();
}
