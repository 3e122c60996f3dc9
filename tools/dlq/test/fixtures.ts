import { ConsumerQueues, Exchanges, inventory, type MessageContract, type PayloadOf } from '@shop/contracts';
import { createEnvelope } from '@shop/messaging';

export { ConsumerQueues, Exchanges, inventory };

export const createEnvelopeFor = <C extends MessageContract>(contract: C, data: PayloadOf<C>, orderId: string) =>
  createEnvelope(contract, data, { correlationId: orderId });
