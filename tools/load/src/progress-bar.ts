/** One line redrawn in place on a terminal; a line every few seconds otherwise (CI logs). */
export class ProgressBar {
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const share = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const text = `${this.label} [${'#'.repeat(Math.round(share * 30)).padEnd(30, '.')}] ${String(Math.round(share * 100)).padStart(3)}% ${done}/${this.total} ${extra}`;
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K`);
    } else if (performance.now() - this.lastLine > 5_000 || done === this.total) {
      this.lastLine = performance.now();
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
