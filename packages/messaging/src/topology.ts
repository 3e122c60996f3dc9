import { Exchanges } from '@shop/contracts';
import type { TopologySetup } from './broker';

/**
 * Checks that the three shared exchanges exist (a passive declare, which needs no permission).
 * The services do not declare them: they belong to whoever provisions the vhost (RabbitMQ's
 * definitions under compose, @shop/testing's provisioning natively and in tests), so that no
 * service's credentials can change or delete them. A vhost that lacks one is named in the error.
 */
export const checkExchanges: TopologySetup = async (channel) => {
  for (const exchange of Object.values(Exchanges)) {
    try {
      await channel.checkExchange(exchange);
    } catch (error) {
      throw new Error(
        `exchange ${exchange} does not exist in this vhost: provision it first (infra/rabbitmq/definitions.json, or npm run stack)`,
        { cause: error },
      );
    }
  }
};
