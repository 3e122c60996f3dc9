import { HelperProcess, serveAsHelper } from './helper-process';

export interface ScrapeCount {
  scrapes: number;
  failed: number;
  bytes: number;
}

/**
 * Scrapes every URL once per `intervalMs`, as Prometheus does, and counts the bytes of the
 * bodies. A URL whose previous scrape has not ended yet is skipped that tick and counted as
 * failed.
 */
class MetricsScraper {
  readonly counts: Record<string, ScrapeCount>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    urls: Record<string, string>,
    private readonly intervalMs: number,
  ) {
    this.counts = Object.fromEntries(Object.keys(urls).map((name) => [name, { scrapes: 0, failed: 0, bytes: 0 }]));
    this.timer = setInterval(() => {
      for (const [name, url] of Object.entries(urls)) this.scrape(name, url);
    }, intervalMs);
  }

  private scrape(name: string, url: string): void {
    const count = this.counts[name]!;
    if (this.inFlight.has(name)) {
      count.failed += 1;
      return;
    }
    const scrape = fetch(url, { signal: AbortSignal.timeout(this.intervalMs) })
      .then(async (response) => {
        const body = await response.arrayBuffer();
        if (!response.ok) throw new Error(`${response.status}`);
        count.scrapes += 1;
        count.bytes += body.byteLength;
      })
      .catch(() => {
        count.failed += 1;
      })
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, scrape);
  }

  async stop(): Promise<Record<string, ScrapeCount>> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight.values());
    return this.counts;
  }
}

/**
 * A scraper in a process of its own, as Prometheus is, scraping from its start until it is
 * finished. Its CPU, which the machine's count includes, is reported with the counts for the
 * metrics check to take out: a monitoring server's work, not the shop's.
 */
export const startScraperProcess = (
  urls: Record<string, string>,
  intervalMs: number,
): Promise<HelperProcess<Record<string, ScrapeCount>>> =>
  HelperProcess.start<Record<string, ScrapeCount>>(__filename, [JSON.stringify(urls), String(intervalMs)]);

if (require.main === module && process.send) {
  const [urls, intervalMs] = process.argv.slice(2);
  serveAsHelper(() => {
    const scraper = new MetricsScraper(JSON.parse(urls!) as Record<string, string>, Number(intervalMs));
    return () => scraper.stop();
  });
}
