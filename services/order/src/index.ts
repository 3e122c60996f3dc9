export { startOrderService } from './order-service';
export { orderConfigSchema, type OrderConfig } from './config';
export { orderSaga, type OrderSagaData } from './domain/order-saga';
