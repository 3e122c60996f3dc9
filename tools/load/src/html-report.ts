import type { HistogramBucket } from './latency-stats';
import { formatReport, type LoadReport } from './load-report';
import { formatSpikeReport, type SpikeReport } from './spike-report';

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

interface Series {
  name: string;
  color: string;
  values: ReadonlyArray<number | null>;
}

/** A line chart as inline SVG, one point per second, with the spike's seconds shaded. */
function lineChartSvg(title: string, unit: string, series: readonly Series[], shade?: { from: number; to: number }): string {
  const width = 900;
  const height = 220;
  const left = 60;
  const seconds = Math.max(1, ...series.map((s) => s.values.length));
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const x = (second: number) => left + (second / seconds) * (width - left - 10);
  const y = (value: number) => 10 + height - (value / max) * height;
  const lines = series.map((s) => {
    const points = s.values.flatMap((v, second) => (v === null ? [] : [`${x(second + 0.5).toFixed(1)},${y(v).toFixed(1)}`]));
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points.join(' ')}"><title>${escapeHtml(s.name)}</title></polyline>`;
  });
  const legend = series.map(
    (s, i) => `<text x="${left + 10 + i * 180}" y="${height + 45}" fill="${s.color}">■ ${escapeHtml(s.name)}</text>`,
  );
  const ticks = Array.from({ length: Math.floor(seconds / 10) + 1 }, (_, i) => i * 10).map(
    (second) => `<text x="${x(second).toFixed(1)}" y="${height + 25}" text-anchor="middle">${second} s</text>`,
  );
  return [
    `<h2>${escapeHtml(title)}</h2>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 55}" font-family="sans-serif" font-size="12">`,
    shade
      ? `<rect x="${x(shade.from)}" y="10" width="${x(shade.to) - x(shade.from)}" height="${height}" fill="#fbe3d6"><title>the spike</title></rect>`
      : '',
    `<line x1="${left}" y1="${10 + height}" x2="${width - 10}" y2="${10 + height}" stroke="#999"/>`,
    `<text x="${left - 6}" y="16" text-anchor="end">${escapeHtml(formatValue(max, unit))}</text>`,
    `<text x="${left - 6}" y="${10 + height}" text-anchor="end">0</text>`,
    ...ticks,
    ...lines,
    ...legend,
    '</svg>',
  ].join('\n');
}

const formatValue = (value: number, unit: string) => `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}${unit}`;

/** The spike's two charts: POST /orders latency, and the work waiting, second by second. */
function spikeCharts(spike: SpikeReport): string {
  const phase = spike.phases.find((p) => p.name === 'spike');
  const shade = phase && { from: phase.startSecond, to: phase.startSecond + phase.seconds };
  const values = (pick: (s: SpikeReport['timeline'][number]) => number | null) => spike.timeline.map(pick);
  return [
    `<pre>${escapeHtml(formatSpikeReport(spike))}</pre>`,
    lineChartSvg(
      'POST /orders latency by the second its requests were due (p50, p99)',
      ' ms',
      [
        { name: 'p50', color: '#4a7ab5', values: values((s) => s.postP50Ms) },
        { name: 'p99', color: '#c0392b', values: values((s) => s.postP99Ms) },
      ],
      shade,
    ),
    lineChartSvg(
      'The queue absorbing the spike: offered per second, sagas in flight, messages queued, sagas finished per second',
      '',
      [
        { name: 'offered /s', color: '#7f8c8d', values: values((s) => s.offered) },
        { name: 'sagas in flight', color: '#c0392b', values: values((s) => s.inFlight) },
        { name: 'queued messages', color: '#8e44ad', values: values((s) => s.queued) },
        { name: 'finished /s', color: '#27ae60', values: values((s) => s.finished) },
      ],
      shade,
    ),
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
    report.spike ? spikeCharts(report.spike) : '',
    '</body></html>',
    '',
  ].join('\n');
}
