import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmtpSink, type ReceivedEmail } from '@shop/testing';

/**
 * Catches what the email service sends when no SMTP server is configured: the tests' SMTP sink
 * on one port, and on another `GET /api/messages` with every email received so far as JSON (`?q=`
 * filters them by subject or text)
 * (the same idea as Mailpit's API, in the compose setup, without its UI).
 */
export class MailCatcher {
  private constructor(
    private readonly sink: SmtpSink,
    private readonly http: Server,
  ) {}

  static async start(smtpPort: number, httpPort: number, onEmail: (email: ReceivedEmail) => void): Promise<MailCatcher> {
    const sink = await new SmtpSink().start(smtpPort);
    sink.onEmail(onEmail);
    const http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/api/messages') {
        // `?q=` keeps the emails whose subject or text contains it (the live page asks by order id).
        const q = url.searchParams.get('q');
        const emails = q ? sink.emails.filter((email) => email.subject.includes(q) || email.text.includes(q)) : sink.emails;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(emails));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'only GET /api/messages is served here' }));
    });
    http.listen(httpPort, '127.0.0.1');
    try {
      await once(http, 'listening');
    } catch (error) {
      await sink.close();
      throw error;
    }
    return new MailCatcher(sink, http);
  }

  get smtpUrl(): string {
    return this.sink.url;
  }

  get messagesUrl(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/api/messages`;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await Promise.all([new Promise<void>((resolve) => this.http.close(() => resolve())), this.sink.close()]);
  }
}

/** One line per email for the stack's output. */
export function describeEmail(email: ReceivedEmail): string {
  return `email to ${email.to.join(', ') || '(no recipient)'} from ${email.from || '(no sender)'}: ${JSON.stringify(email.subject)}`;
}
