import type { MessageHandler } from '@shop/messaging';
import type { SagaEngine } from '@shop/saga';
import type { OrderSagaData } from '../../domain/order';

/** Every participant reply goes to the saga engine, which moves the order's saga forward or back. */
export function sagaReplyHandlers(saga: SagaEngine<OrderSagaData>): MessageHandler[] {
  return saga.replyHandlers();
}
