import { loadConfigOrExit } from '@shop/config';
import { runMain } from '@shop/runtime';
import { emailConfigSchema } from './config';
import { startEmailService } from './email-service';

const config = loadConfigOrExit('email', emailConfigSchema);
runMain('email', () => startEmailService(config), config.SHUTDOWN_TIMEOUT_MS);
