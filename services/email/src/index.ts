export { startEmailService } from './email-service';
export { emailConfigSchema, type EmailConfig } from './config';
