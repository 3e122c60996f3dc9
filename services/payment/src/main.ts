import { loadConfigOrExit } from '@shop/config';
import { runMain } from '@shop/runtime';
import { paymentConfigSchema } from './config';
import { startPaymentService } from './payment-service';

const config = loadConfigOrExit('payment', paymentConfigSchema);
runMain('payment', () => startPaymentService(config), config.SHUTDOWN_TIMEOUT_MS);
