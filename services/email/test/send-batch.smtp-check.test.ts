import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SmtpSink } from '@shop/testing';
import { createSmtpMailer, MailServerFailing, sendBatch, type Mailer, type OutgoingEmail } from '../src/data-access/smtp-mailer';

const emailsTo = (prefix: string, count: number): OutgoingEmail[] =>
  Array.from({ length: count }, (_, index) => ({
    to: `${prefix}-${index}@example.com`,
    subject: `${prefix} ${index}`,
    text: 'hello',
    messageId: `<${prefix}-${index}@shop.example>`,
  }));

/** A real SMTP mailer that also counts the sends it was asked for. */
function countingMailer(url: string): Mailer & { attempts: number } {
  const mailer = createSmtpMailer(url, 'orders@shop.example');
  const counting = {
    attempts: 0,
    send: (email: OutgoingEmail) => {
      counting.attempts += 1;
      return mailer.send(email);
    },
    close: () => mailer.close(),
  };
  return counting;
}

/** A batch of emails over real SMTP: what one refused recipient does, and what a server that fails does. */
describe('sending a batch of emails', () => {
  let sink: SmtpSink;

  before(async () => {
    sink = await new SmtpSink().start();
  });

  after(() => sink?.close());

  test('when the server refuses one recipient, then only that email fails and the others are sent', async () => {
    const mailer = countingMailer(sink.url);
    const emails = emailsTo('refused-one', 10);
    sink.refuseRecipient = (address) => address === 'refused-one-4@example.com';
    try {
      const errors = await sendBatch(mailer, emails);
      assert.equal(mailer.attempts, 10);
      assert.deepEqual(
        errors.map((error) => (error === undefined ? 'sent' : (error as { code?: string }).code)),
        ['sent', 'sent', 'sent', 'sent', 'EENVELOPE', 'sent', 'sent', 'sent', 'sent', 'sent'],
      );
      const received = sink.emails.filter((email) => email.subject.startsWith('refused-one'));
      assert.equal(received.length, 9);
    } finally {
      sink.refuseRecipient = () => false;
      mailer.close();
    }
  });

  test('when the server cannot be reached, then the emails not yet started are not tried, and every one reports its failure', async () => {
    const gone = await new SmtpSink().start();
    await gone.close();
    const mailer = countingMailer(gone.url);
    try {
      const errors = await sendBatch(mailer, emailsTo('unreachable', 20));
      assert.ok(errors.every((error) => error !== undefined), 'no email counts as sent');
      assert.ok(mailer.attempts <= 4, `${mailer.attempts} sends tried, at most one per connection`);
      assert.equal(errors.filter((error) => error instanceof MailServerFailing).length, 20 - mailer.attempts);
      // nodemailer reports a refused connection as ESOCKET (connect ECONNREFUSED).
      assert.deepEqual(new Set(errors.slice(0, mailer.attempts).map((error) => (error as { code?: string }).code)), new Set(['ESOCKET']));
    } finally {
      mailer.close();
    }
  });
});
