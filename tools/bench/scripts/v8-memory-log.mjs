// Loaded into each service with `STACK_NODE_ARGS=--import=$PWD/tools/bench/scripts/v8-memory-log.mjs
// npm run stack`: every second, appends one JSON line of the process's memory as V8 and node count it
// to $V8_MEMORY_LOG_DIR/<service>.jsonl (default /tmp/v8-memory): RSS, the heap used and reserved,
// each heap space's physical size, and the native memory V8 allocated, now and at its peak
// (malloced, peakMalloced: compile zones and other native buffers). MB throughout.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

const service = /services[\\/]([^\\/]+)[\\/]/.exec(process.argv[1] ?? '')?.[1] ?? `pid-${process.pid}`;
const directory = process.env.V8_MEMORY_LOG_DIR || '/tmp/v8-memory';
fs.mkdirSync(directory, { recursive: true });
const file = path.join(directory, `${service}.jsonl`);
fs.rmSync(file, { force: true });
const mb = (bytes) => Math.round(bytes / 104857.6) / 10;

setInterval(() => {
  const usage = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, mb(space.physical_space_size)]));
  const line = {
    at: new Date().toISOString(),
    rss: mb(usage.rss),
    heapUsed: mb(usage.heapUsed),
    heapTotal: mb(usage.heapTotal),
    external: mb(usage.external),
    malloced: mb(heap.malloced_memory),
    peakMalloced: mb(heap.peak_malloced_memory),
    spaces,
  };
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}, 1_000).unref();
