import { baseServiceSchema, delayMs, ratio, url, z } from '@shop/config';

export const emailConfigSchema = baseServiceSchema('email', 3004).extend({
  SMTP_URL: url(['smtp', 'smtps']).default('smtp://127.0.0.1:1025'),
  // Checked only for an address part: nodemailer parses the display-name form itself.
  EMAIL_FROM: z.string().regex(/@/, 'expected a sender such as "Shop <orders@shop.example>"').default('Shop <orders@shop.example>'),
  EMAIL_FAILURE_RATE: ratio(0),
  EMAIL_ADDED_LATENCY_MS: delayMs(0),
});

export type EmailConfig = z.infer<typeof emailConfigSchema>;
