import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer (OTLP's SpanKind numbers). */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  statusCode: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: Array<{ key: string; value: OtlpValue }>;
        status?: { code?: number };
      }>;
    }>;
  }>;
}

const valueOf = (v: OtlpValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? '';

const attributesOf = (list: Array<{ key: string; value: OtlpValue }> = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * An OTLP/HTTP receiver (JSON encoding: services export with OTEL_EXPORTER_OTLP_PROTOCOL=http/json)
 * standing in for Jaeger, which no registry here ships: the spans arrive from real exporters in
 * real processes. `GET /trace/<traceId>` plays Jaeger's UI for a browser test: a page listing the
 * trace's spans as they have arrived so far.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server?: Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const traceView = request.method === 'GET' ? /^\/trace\/([0-9a-f]{32})$/.exec(request.url ?? '') : null;
        if (traceView) {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(traceHtml(traceView[1]!, this.trace(traceView[1]!)));
          return;
        }
        if (request.method === 'POST' && request.url === '/v1/traces') {
          try {
            this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson);
          } catch {
            response.writeHead(400).end();
            return;
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A link template in the form the order service's LIVE_TRACE_URL takes. */
  get traceUrlTemplate(): string {
    return `${this.endpoint}/trace/{traceId}`;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private collect(body: OtlpJson): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? 'unknown');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind ?? 1,
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
          });
        }
      }
    }
  }
}

const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The trace page: one table row per span, with its service, kind, name and attributes. */
function traceHtml(traceId: string, spans: readonly ReceivedSpan[]): string {
  const rows = spans.map((span) => {
    const kind = KIND_NAMES[span.kind] ?? String(span.kind);
    const attributes = Object.entries(span.attributes)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n');
    const cells = [span.service, kind, span.name, span.spanId, span.parentSpanId, attributes].map((cell) => `<td>${escapeHtml(cell)}</td>`);
    return `<tr data-kind="${kind}" data-name="${escapeHtml(span.name)}">${cells.join('')}</tr>`;
  });
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>trace ${traceId}</title></head><body>`,
    `<h1>Trace <code id="trace-id">${traceId}</code></h1><p>${spans.length} spans</p>`,
    '<table id="spans"><thead><tr><th>service</th><th>kind</th><th>name</th><th>span</th><th>parent</th><th>attributes</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table></body></html>`,
  ].join('');
}
