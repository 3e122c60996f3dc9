import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  headers: Record<string, string>;
  receivedAt: string;
}

/**
 * A real SMTP listener (smtp-server, the library nodemailer's authors maintain) that keeps every
 * message it receives: the sink of the tests and the mail catcher of `npm run stack`.
 */
export class SmtpSink {
  readonly emails: ReceivedEmail[] = [];
  private readonly listeners = new Set<(email: ReceivedEmail) => void>();
  private readonly server: SMTPServer;
  port = 0;
  /**
   * Recipients for which the server answers RCPT TO with 451 (try again later), as a mail server
   * with a temporary problem does; the email is not received.
   */
  refuseRecipient: (address: string) => boolean = () => false;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // On close, connections still open (a client's idle pooled connection) get 421 and are
      // closed after a second, as a mail server going down would, instead of after 30 s.
      closeTimeout: 1_000,
      onRcptTo: (address, _session, callback) => {
        if (!this.refuseRecipient(address.address)) return callback();
        callback(Object.assign(new Error(`mailbox ${address.address} busy, try again later`), { responseCode: 451 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const email = parseEmail(Buffer.concat(chunks).toString('utf8'), session.envelope);
          this.emails.push(email);
          for (const listener of this.listeners) listener(email);
          callback();
        });
      },
    });
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    // A client dropping its connection mid-session (a killed email service) is its problem, not
    // the sink's: without a listener smtp-server's 'error' would end this process.
    this.server.on('error', () => undefined);
    this.server.listen(port, host);
    await once(this.server.server, 'listening');
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  onEmail(listener: (email: ReceivedEmail) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first email (already received or arriving) that matches, or rejects after `timeoutMs`. */
  waitFor(predicate: (email: ReceivedEmail) => boolean, timeoutMs = 15_000): Promise<ReceivedEmail> {
    const found = this.emails.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no matching email within ${timeoutMs} ms (${this.emails.length} received)`));
      }, timeoutMs);
      const stop = this.onEmail((email) => {
        if (!predicate(email)) return;
        clearTimeout(timer);
        stop();
        resolve(email);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface SessionEnvelope {
  mailFrom: false | { address: string };
  rcptTo: { address: string }[];
}

/** Enough MIME for the single-part text mails the email service sends. */
export function parseEmail(raw: string, envelope: SessionEnvelope): ReceivedEmail {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  let body = split === -1 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return {
    from: envelope.mailFrom ? envelope.mailFrom.address : '',
    to: envelope.rcptTo.map((r) => r.address),
    subject: decodeWords(headers.subject ?? ''),
    messageId: headers['message-id'] ?? '',
    text: body.replace(/\r\n/g, '\n').trimEnd(),
    headers,
    receivedAt: new Date().toISOString(),
  };
}

function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );
}
