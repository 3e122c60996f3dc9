export { startPaymentService } from './payment-service';
export { paymentConfigSchema, type PaymentConfig } from './config';
export { createSimulatedPaymentProvider } from './data-access/simulated-payment-provider';
export { ProviderTimeoutError, type PaymentProvider } from './domain/payment-provider';
