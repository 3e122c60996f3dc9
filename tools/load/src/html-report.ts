import type { HistogramBucket } from './latency-stats';
import { formatReport, type LoadReport } from './load-report';

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const label = (ms: number) => (ms >= 1_000 ? `${ms / 1_000} s` : `${ms} ms`);

/** The buckets' label: "≤ 5 ms", and "> 60 s" for the open one. */
function bucketLabel(buckets: readonly HistogramBucket[], index: number): string {
  const bucket = buckets[index]!;
  return bucket.upToMs === null ? `> ${label(buckets[index - 1]?.upToMs ?? 0)}` : `≤ ${label(bucket.upToMs)}`;
}

/** A bar chart as inline SVG: one bar per bucket from the first to the last that holds samples. */
function histogramSvg(title: string, buckets: readonly HistogramBucket[]): string {
  const used = buckets.flatMap((bucket, index) => (bucket.count > 0 ? [index] : []));
  if (used.length === 0) return `<h2>${escapeHtml(title)}</h2><p>no samples</p>`;
  const shown = buckets.slice(used[0], used[used.length - 1]! + 1).map((bucket, offset) => ({ ...bucket, index: used[0]! + offset }));
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  const highest = Math.max(...shown.map((bucket) => bucket.count));
  const barWidth = 64;
  const chartHeight = 200;
  const width = shown.length * barWidth;
  const bars = shown
    .map((bucket, position) => {
      const height = Math.round((bucket.count / highest) * chartHeight);
      const x = position * barWidth;
      const share = ((100 * bucket.count) / total).toFixed(1);
      return [
        `<rect x="${x + 6}" y="${20 + chartHeight - height}" width="${barWidth - 12}" height="${height}" fill="#4a7ab5"><title>${bucket.count} (${share}%)</title></rect>`,
        `<text x="${x + barWidth / 2}" y="${14 + chartHeight - height}" text-anchor="middle">${bucket.count}</text>`,
        `<text x="${x + barWidth / 2}" y="${chartHeight + 38}" text-anchor="middle">${escapeHtml(bucketLabel(buckets, bucket.index))}</text>`,
      ].join('');
    })
    .join('\n');
  return [
    `<h2>${escapeHtml(title)}</h2>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${chartHeight + 50}" font-family="sans-serif" font-size="12">`,
    bars,
    '</svg>',
  ].join('\n');
}

/** `--html FILE`: the run's table and its two latency histograms, as one page with nothing to fetch. */
export function renderHtmlReport(report: LoadReport, when: Date = new Date()): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>npm run load</title>',
    '<style>body { font-family: sans-serif; margin: 2em; } pre { background: #f4f4f4; padding: 1em; } h2 { font-size: 1.1em; margin-top: 2em; }</style>',
    '</head><body>',
    `<h1>npm run load: ${report.settings.count} orders at ${report.settings.rate}/s against ${escapeHtml(report.settings.url)}</h1>`,
    `<p>${escapeHtml(when.toISOString())}</p>`,
    `<pre>${escapeHtml(formatReport(report))}</pre>`,
    histogramSvg(
      `POST /orders latency, from when each order was due (${report.post.latencyMs.count} requests)`,
      report.post.latencyHistogram,
    ),
    histogramSvg(`Saga, accepted to CONFIRMED or CANCELLED (${report.sagas.endToEndMs.count} sagas)`, report.sagas.endToEndHistogram),
    '</body></html>',
    '',
  ].join('\n');
}
