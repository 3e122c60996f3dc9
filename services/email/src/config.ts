import { serviceNamed } from '@shop/catalog';
import { baseServiceSchema, delayMs, milliseconds, openRatio, ratio, url, z } from '@shop/config';

export const emailConfigSchema = baseServiceSchema(serviceNamed('email')).extend({
  SMTP_URL: url(['smtp', 'smtps']).default('smtp://127.0.0.1:1025'),
  // Checked only for an address part: nodemailer parses the display-name form itself.
  EMAIL_FROM: z.string().regex(/@/, 'expected a sender such as "Shop <orders@shop.example>"').default('Shop <orders@shop.example>'),
  /** How long one send attempt may take, its wait for a pooled connection included, before it is aborted as a (transient) timeout. */
  SMTP_TIMEOUT_MS: milliseconds(4_000),
  /**
   * Attempts per email, the first included. Another is made only when the server cannot have the
   * email (no connection, a 4xx reply, a timeout before any of the message went out), never after
   * a 5xx refusal of the recipient or the message. Two attempts of 4 s keep a send under the 10 s
   * shutdown timeout.
   */
  SMTP_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  SMTP_BACKOFF_MS: milliseconds(200),
  /** The breaker opens when this share of sends fails within the window, at SMTP_BREAKER_MIN_RPS sends a second or more. */
  // Not 0 or 1: cockatiel's SamplingBreaker refuses both at start-up, with an error that names no setting.
  SMTP_BREAKER_FAILURE_RATIO: openRatio(0.5),
  SMTP_BREAKER_WINDOW_MS: milliseconds(10_000),
  SMTP_BREAKER_MIN_RPS: z.coerce.number().min(0).default(2),
  /** How long the breaker stays open before a probe (connect, EHLO, QUIT) tests the mail server again. */
  SMTP_BREAKER_HALF_OPEN_AFTER_MS: milliseconds(5_000),
  EMAIL_FAILURE_RATE: ratio(0),
  EMAIL_ADDED_LATENCY_MS: delayMs(0),
});

export type EmailConfig = z.infer<typeof emailConfigSchema>;
