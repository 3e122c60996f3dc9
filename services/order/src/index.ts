export { startOrderService } from './order-service';
export { orderConfigSchema, type OrderConfig } from './config';
export { orderSaga } from './domain/order-saga';
export type { OrderSagaData } from './domain/order';
