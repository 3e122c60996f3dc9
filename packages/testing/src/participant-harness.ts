import { Exchanges } from '@shop/contracts';
import { eventually } from './eventually';
import { serviceTestEnv } from './service-env';
import { TestBrokerClient, type Envelope } from './test-client';
import { createTestInfrastructure, type TestInfrastructure } from './test-infrastructure';

interface StartedService {
  broker: { waitUntilConnected(timeoutMs: number): Promise<void> };
  stop(): Promise<void>;
}

export interface ParticipantHarness<S extends StartedService> {
  infra: TestInfrastructure;
  service: S;
  /** Sends commands as the orchestrator would, and reads the broker directly. */
  client: TestBrokerClient;
  /** Every reply published on the replies exchange since the start. */
  replies: Envelope[];
  repliesFor(orderId: string): Envelope[];
  /** The `count`-th reply about the order, waited for. */
  replyFor(orderId: string, count?: number): Promise<Envelope>;
  stop(): Promise<void>;
}

/**
 * A participant service started in this process against this run's vhost and database, with a
 * client that listens to every reply: the setup every participant's message-queue test shares.
 */
export async function startParticipant<S extends StartedService>(
  name: string,
  start: (env: Record<string, string>) => Promise<S>,
  extraEnv: Record<string, string> = {},
): Promise<ParticipantHarness<S>> {
  const infra = await createTestInfrastructure(name);
  const service = await start(await serviceTestEnv(infra, name, extraEnv));
  await service.broker.waitUntilConnected(10_000);
  const client = await TestBrokerClient.connect(infra.rabbitmqUrl);
  const replies = (await client.listen(Exchanges.replies, '#')).messages;
  const repliesFor = (orderId: string) => replies.filter((reply) => (reply.data as { orderId?: string }).orderId === orderId);
  return {
    infra,
    service,
    client,
    replies,
    repliesFor,
    replyFor: (orderId, count = 1) =>
      eventually(() => (repliesFor(orderId).length >= count ? repliesFor(orderId)[count - 1] : undefined), {
        what: `reply ${count} for ${orderId}`,
      }),
    async stop() {
      await client.close();
      await service.stop();
      await infra.cleanup();
    },
  };
}
