import { Exchanges, inventory, type MessageContract, type PayloadOf } from '@shop/contracts';
import { createEnvelope } from '@shop/messaging';

export { Exchanges, inventory };

export const createEnvelopeFor = <C extends MessageContract>(contract: C, data: PayloadOf<C>, orderId: string) =>
  createEnvelope(contract, data, { correlationId: orderId });
