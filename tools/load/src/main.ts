import { writeFileSync } from 'node:fs';
import { percentiles } from './latency-stats';
import { renderHtmlReport } from './html-report';
import { buildReport, formatReport } from './load-report';
import { runLoad } from './load-run';
import { parseLoadArguments } from './load-settings';
import { ProgressBar } from './progress-bar';
import { checkOrderLookup } from './saga-tracker';
import { resourcesBetween, sampleServices, watchMemory } from './service-resources';
import { formatSpikeReport } from './spike-report';

/** `npm run load -- --rate 50 --duration 30`: see load-settings.ts for every option. */
async function main(): Promise<void> {
  const settings = parseLoadArguments(process.argv.slice(2));
  const ready = await fetch(`${settings.url}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready)
    throw new Error(`the order service at ${settings.url} is not ready (GET /readyz); start it with npm run stack or docker compose up`);
  // Before any order is placed: the sagas could not be followed without the operator token.
  await checkOrderLookup(settings.url, settings.operatorToken);

  const before = sampleServices();
  const memory = watchMemory(before);
  const sending = new ProgressBar('orders', settings.count);
  let settling: ProgressBar | undefined;
  const { run, sagas, spike, drained } = await runLoad(settings, {
    sent(sent, outcomes) {
      const errors = outcomes.filter((o) => o.error).length;
      sending.update(sent, `errors ${errors}  p99 so far ${percentiles(outcomes.slice(-2_000).map((o) => o.latencyMs)).p99.toFixed(0)} ms`);
    },
    allSent(_run, accepted) {
      sending.done();
      settling = new ProgressBar('sagas ', accepted);
    },
    settled: (settled) => settling?.update(settled),
  });
  settling?.done();
  if (drained === false) process.stdout.write('the work queues were not empty by the end of --saga-timeout\n');
  const services = resourcesBetween(before, sampleServices());

  const report = buildReport(settings, run, sagas, services, memory.stop());
  if (spike) report.spike = spike;
  process.stdout.write(`${formatReport(report)}\n`);
  if (report.spike) process.stdout.write(`${formatSpikeReport(report.spike)}\n`);
  if (settings.jsonFile) {
    writeFileSync(settings.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`figures written to ${settings.jsonFile}\n`);
  }
  if (settings.htmlFile) {
    writeFileSync(settings.htmlFile, renderHtmlReport(report));
    process.stdout.write(`${report.spike ? 'charts' : 'histograms'} written to ${settings.htmlFile}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
