import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser, type ServerSentEvent } from '../src/model/sse-parser';

const parse = (...chunks: string[]) => {
  const events: ServerSentEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, parser };
};

test('when events arrive whole, then each is dispatched with its type, data and id', () => {
  const { events } = parse(': a comment\n\nid: 7\nevent: steps\ndata: {"a":1}\n\nevent: queues\ndata: {}\n\n');
  assert.deepEqual(events, [
    { event: 'steps', data: '{"a":1}', lastEventId: '7' },
    { event: 'queues', data: '{}', lastEventId: '7' },
  ]);
});

test('when an event is split anywhere, even inside a CRLF, then it is dispatched once, whole', () => {
  const text = 'id: 12\r\nevent: steps\r\ndata: line one\r\ndata: line two\r\n\r\n';
  for (let cut = 1; cut < text.length; cut += 1) {
    const { events } = parse(text.slice(0, cut), text.slice(cut));
    assert.deepEqual(events, [{ event: 'steps', data: 'line one\nline two', lastEventId: '12' }], `cut at ${cut}`);
  }
});

test('when a field has no value, a bare CR ends lines or retry is sent, then it follows the event stream format', () => {
  const { events, parser } = parse('retry: 2500\rdata\rdata:x\r\r', 'event: only-type\n\n');
  assert.deepEqual(events, [{ event: 'message', data: '\nx', lastEventId: '' }]);
  assert.equal(parser.retryMs, 2500);
});
