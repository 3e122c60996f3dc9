import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for Jaeger when the bench measures what tracing costs the services: it takes OTLP
 * exports in any encoding (the SDK's default, http/protobuf, included) and only counts them, so
 * the figure is the services' cost of making and sending spans, not a collector's cost of
 * decoding and storing them.
 */
export class OtlpSink {
  requests = 0;
  bytes = 0;
  private server?: Server;
  private port = 0;

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      request.on('data', (chunk: Buffer) => {
        this.bytes += chunk.length;
      });
      request.on('end', () => {
        this.requests += 1;
        // An empty body is a valid ExportTraceServiceResponse in protobuf and in JSON.
        response.writeHead(200, { 'content-type': String(request.headers['content-type'] ?? 'application/x-protobuf') }).end();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (require.main === module) {
  // `node tools/bench/dist/src/otlp-sink.js`: a sink on a free port for runs by hand.
  void new OtlpSink().start().then((sink) => process.stdout.write(`OTLP sink at ${sink.endpoint}\n`));
}
