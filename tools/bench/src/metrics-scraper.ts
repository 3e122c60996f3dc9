import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

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

interface ScrapeResult {
  counts: Record<string, ScrapeCount>;
  cpuSeconds: number;
}

/**
 * A scraper in a process of its own, as Prometheus is. It reports its own CPU, which the machine's
 * count includes and the metrics check takes out: a monitoring server's work, not the shop's.
 */
export class ScraperProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(urls: Record<string, string>, intervalMs: number): Promise<ScraperProcess> {
    const child = fork(__filename, [JSON.stringify(urls), String(intervalMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await once(child, 'message');
    return new ScraperProcess(child);
  }

  /** Stops scraping once the scrapes in flight have ended: what was scraped, by URL name, and the CPU it took since it started. */
  async stop(): Promise<ScrapeResult> {
    const counts = once(this.child, 'message') as Promise<[ScrapeResult]>;
    const exited = once(this.child, 'exit');
    this.child.send('stop');
    const [[result]] = await Promise.all([counts, exited]);
    return result;
  }
}

if (require.main === module && process.send) {
  const [urls, intervalMs] = process.argv.slice(2);
  const scraper = new MetricsScraper(JSON.parse(urls!) as Record<string, string>, Number(intervalMs));
  const started = process.cpuUsage();
  process.on('message', () => {
    void scraper.stop().then((counts) => {
      const used = process.cpuUsage(started);
      const result: ScrapeResult = { counts, cpuSeconds: (used.user + used.system) / 1e6 };
      process.send!(result, () => process.exit(0));
    });
  });
  process.send('started');
}
