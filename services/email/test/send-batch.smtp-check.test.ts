import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@shop/logger';
import { DependencyTimeoutError } from '@shop/resilience';
import { eventually, SmtpSink } from '@shop/testing';
import { sendBatch } from '../src/data-access/email-batch-sender';
import { MailServerFailing, SmtpOutcomeUnknownError } from '../src/data-access/smtp-failures';
import { createSmtpMailer, type Mailer, type OutgoingEmail, type SmtpMailerOptions } from '../src/data-access/smtp-mailer';

const emailsTo = (prefix: string, count: number): OutgoingEmail[] =>
  Array.from({ length: count }, (_, index) => ({
    to: `${prefix}-${index}@example.com`,
    subject: `${prefix} ${index}`,
    text: 'hello',
    messageId: `<${prefix}-${index}@shop.example>`,
  }));

/** A real SMTP mailer, policy included, that also counts the sends it was asked for (attempts within a send not counted). */
function countingMailer(url: string, overrides: Partial<SmtpMailerOptions> = {}): Mailer & { sends: number } {
  const mailer = createSmtpMailer({
    url,
    from: 'orders@shop.example',
    logger: createLogger({ service: 'email-test', level: 'silent' }),
    timeoutMs: 2_000,
    attempts: 2,
    backoffMs: 10,
    // Never opens here (a thousand sends a second at least): these tests are about sends, not outages.
    breaker: { failureRatio: 0.5, windowMs: 10_000, minimumRps: 1_000, halfOpenAfterMs: 1_000 },
    ...overrides,
  });
  const counting = {
    sends: 0,
    send: (email: OutgoingEmail) => {
      counting.sends += 1;
      return mailer.send(email);
    },
    close: () => mailer.close(),
  };
  return counting;
}

/**
 * A mail server that answers as a real one up to the end of a message, then never again; or
 * (`silentFrom: 'greeting'`) never says anything. Counts connections and messages received.
 */
async function silentMailServer(silentFrom: 'greeting' | 'end-of-message') {
  const sockets = new Set<Socket>();
  const seen = { connections: 0, messages: 0 };
  const server = createServer((socket) => {
    seen.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (silentFrom === 'greeting') return;
    socket.write('220 silent ESMTP\r\n');
    let buffer = '';
    let inMessage = false;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inMessage) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          buffer = buffer.slice(end + 5);
          inMessage = false;
          seen.messages += 1; // received in full, and left unanswered
          continue;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd === -1) return;
        const verb = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(lineEnd + 2);
        if (verb === 'DATA') inMessage = true;
        socket.write(verb === 'DATA' ? '354 go ahead\r\n' : '250 ok\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    seen,
    openConnections: () => sockets.size,
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One email over real SMTP: which failures are tried again within the send, and which are not. */
describe('sending one email', () => {
  let sink: SmtpSink;

  before(async () => {
    sink = await new SmtpSink().start();
  });

  after(() => sink?.close());

  test('when the server answers 451 to the recipient once, then the send tries again at once and the email is delivered once', async () => {
    const mailer = countingMailer(sink.url);
    const [email] = emailsTo('busy-once', 1);
    let refusals = 0;
    sink.refuseRecipient = (address) => address === email!.to && ++refusals === 1;
    try {
      assert.deepEqual(await sendBatch(mailer, [email!]), [undefined]);
      assert.equal(refusals, 2, 'the recipient was refused, then asked for again');
      assert.equal(mailer.sends, 1, 'within one send');
      assert.equal(sink.emails.filter((received) => received.messageId === email!.messageId).length, 1);
    } finally {
      sink.refuseRecipient = () => false;
      mailer.close();
    }
  });

  test('when an attempt times out after the server received the whole message, then the email is not sent again within the send', async () => {
    const server = await silentMailServer('end-of-message');
    const mailer = countingMailer(server.url, { timeoutMs: 300, attempts: 3 });
    try {
      const [error] = await sendBatch(mailer, emailsTo('unanswered', 1));
      assert.ok(error instanceof SmtpOutcomeUnknownError, String(error));
      assert.equal(server.seen.messages, 1, 'the server may have the email: it got it once');
      // The timed-out attempt's connection is closed, not left waiting in the pool.
      await eventually(() => (server.openConnections() === 0 ? true : undefined), { what: 'the connection closed', timeoutMs: 3_000 });
    } finally {
      mailer.close();
      await server.close();
    }
  });

  test('when attempts time out before any of the message went out, then each attempt is made, on a fresh connection', async () => {
    const server = await silentMailServer('greeting');
    const mailer = countingMailer(server.url, { timeoutMs: 300, attempts: 3 });
    try {
      const [error] = await sendBatch(mailer, emailsTo('no-greeting', 1));
      assert.ok(error instanceof DependencyTimeoutError || (error as { code?: string }).code === 'ETIMEDOUT', String(error));
      assert.equal(server.seen.connections, 3);
      assert.equal(server.seen.messages, 0);
      await eventually(() => (server.openConnections() === 0 ? true : undefined), { what: 'the connections closed', timeoutMs: 3_000 });
    } finally {
      mailer.close();
      await server.close();
    }
  });
});

/** A batch of emails over real SMTP: what one refused recipient does, and what a server that fails does. */
describe('sending a batch of emails', () => {
  let sink: SmtpSink;

  before(async () => {
    sink = await new SmtpSink().start();
  });

  after(() => sink?.close());

  test('when the server refuses one recipient at every attempt, then only that email fails and the others are sent', async () => {
    const mailer = countingMailer(sink.url);
    const emails = emailsTo('refused-one', 10);
    sink.refuseRecipient = (address) => address === 'refused-one-4@example.com';
    try {
      const errors = await sendBatch(mailer, emails);
      assert.equal(mailer.sends, 10);
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
      assert.ok(
        errors.every((error) => error !== undefined),
        'no email counts as sent',
      );
      assert.ok(mailer.sends <= 4, `${mailer.sends} sends tried, at most one per connection`);
      assert.equal(errors.filter((error) => error instanceof MailServerFailing).length, 20 - mailer.sends);
      // nodemailer reports a refused connection as ESOCKET (connect ECONNREFUSED).
      assert.deepEqual(new Set(errors.slice(0, mailer.sends).map((error) => (error as { code?: string }).code)), new Set(['ESOCKET']));
    } finally {
      mailer.close();
    }
  });
});
