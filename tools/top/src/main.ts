import { setTimeout as sleep } from 'node:timers/promises';
import { PrometheusClient } from './prometheus-client';
import { readTopData, type TopData } from './top-data';
import { renderTopScreen } from './top-screen';
import { loadTopSettings, UsageError } from './top-settings';

/** Each request to Prometheus gets this long; a reading is due every second. */
const REQUEST_TIMEOUT_MS = 2_000;
const REFRESH_MS = 1_000;

// Alternate screen buffer on, cursor hidden / cursor shown, back to the normal screen.
const ENTER_SCREEN = '\u001b[?1049h\u001b[?25l';
const LEAVE_SCREEN = '\u001b[?25h\u001b[?1049l';

/** `npm run top`: the dashboards' figures from Prometheus, redrawn every second; `--once` prints one screen. */
async function main(): Promise<void> {
  const settings = loadTopSettings(process.argv.slice(2));
  const client = new PrometheusClient(settings.prometheusUrl, REQUEST_TIMEOUT_MS);
  const out = process.stdout;
  const color = out.isTTY === true && !process.env.NO_COLOR;

  if (settings.once || !out.isTTY) {
    const data = await readTopData(client, settings.vhost);
    out.write(`${renderTopScreen(data, { width: out.columns ?? 100, color })}\n`);
    // A script can tell a screen of figures (0) from "Prometheus is not answering" (1).
    process.exitCode = data.unreachable === undefined ? 0 : 1;
    return;
  }

  let last: TopData | undefined;
  const draw = () => {
    if (!last) return;
    const lines = renderTopScreen(last, { width: out.columns || 100, color, live: true }).split('\n');
    // A terminal that reports no size (0 rows) gets every line.
    const rows = out.rows > 2 ? out.rows - 1 : Infinity;
    const shown =
      lines.length > rows ? [...lines.slice(0, rows - 1), `(${lines.length - rows + 1} more lines: make the terminal taller)`] : lines;
    // Home, each line over the old one with the rest of it erased, then everything below erased.
    out.write(`\u001b[H${shown.map((line) => `${line}\u001b[K`).join('\n')}\u001b[J`);
  };
  const quit = () => {
    out.write(LEAVE_SCREEN);
    process.exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  out.on('resize', draw);
  out.write(ENTER_SCREEN);
  try {
    for (;;) {
      const started = performance.now();
      last = await readTopData(client, settings.vhost);
      draw();
      await sleep(Math.max(0, REFRESH_MS - (performance.now() - started)));
    }
  } finally {
    out.write(LEAVE_SCREEN);
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError && error.exitCode === 0) {
    process.stdout.write(`${error.message}\n`);
    process.exit(0);
  }
  process.stderr.write(`top: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? error.exitCode : 1);
});
