import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Puts `prefix` in front of every line going through it. Lines split across chunks are joined
 * first, so output from processes writing concurrently never interleaves mid-line; a last line
 * without a newline is still written when the stream ends.
 */
export class LinePrefixer extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly prefix: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.pending + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.pending = text;
    } else {
      this.pending = text.slice(lastNewline + 1);
      this.push(this.prefixLines(text.slice(0, lastNewline)));
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.pending + this.decoder.end();
    if (rest !== '') this.push(this.prefixLines(rest));
    callback();
  }

  private prefixLines(text: string): string {
    return text
      .split('\n')
      .map((line) => `${this.prefix}${line.replace(/\r$/, '')}\n`)
      .join('');
  }
}
