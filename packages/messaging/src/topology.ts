import { Exchanges } from '@shop/contracts';
import type { TopologySetup } from './broker';

/** Every service declares the three exchanges, so publishing never races another service's start-up. */
export const declareExchanges: TopologySetup = async (channel) => {
  for (const exchange of Object.values(Exchanges)) await channel.assertExchange(exchange, 'topic', { durable: true });
};
