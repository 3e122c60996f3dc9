import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinePrefixer } from '../src/line-prefixer';

async function run(chunks: Array<string | Buffer>): Promise<string> {
  const prefixer = new LinePrefixer('svc | ');
  let out = '';
  prefixer.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const done = new Promise((resolve) => prefixer.on('end', resolve));
  for (const chunk of chunks) prefixer.write(chunk);
  prefixer.end();
  await done;
  return out;
}

describe('LinePrefixer', () => {
  it('when lines arrive whole, then each gets the prefix', async () => {
    assert.equal(await run(['a\nb\n']), 'svc | a\nsvc | b\n');
  });

  it('when a line is split across chunks, then it is prefixed once', async () => {
    assert.equal(await run(['{"msg":"he', 'llo"}\n{"x"', ':1}\n']), 'svc | {"msg":"hello"}\nsvc | {"x":1}\n');
  });

  it('when a multi-byte character is split across chunks, then it survives', async () => {
    const bytes = Buffer.from('café\n', 'utf8');
    assert.equal(await run([bytes.subarray(0, 4), bytes.subarray(4)]), 'svc | café\n');
  });

  it('when the output ends without a newline, then the last line is still written', async () => {
    assert.equal(await run(['done']), 'svc | done\n');
  });

  it('when lines end in CRLF, then the carriage return is dropped', async () => {
    assert.equal(await run(['a\r\nb\r\n']), 'svc | a\nsvc | b\n');
  });
});
