export { startPaymentService } from './payment-service';
export { paymentConfigSchema, type PaymentConfig } from './config';
