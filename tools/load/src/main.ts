import { writeFileSync } from 'node:fs';
import { percentiles } from './latency-stats';
import { generateLoad } from './load-generator';
import { renderHtmlReport } from './html-report';
import { buildReport, formatReport } from './load-report';
import { parseLoadArguments } from './load-settings';
import { ProgressBar } from './progress-bar';
import { watchQueues } from './queue-watch';
import { checkOrderLookup, trackSagas } from './saga-tracker';
import { resourcesBetween, sampleServices, watchMemory } from './service-resources';
import { buildSpikeReport, formatSpikeReport } from './spike-report';

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
  // A spike is judged by the backlog it leaves, so the queues are followed from the first order.
  const queues = settings.phases ? watchQueues(settings.url, settings.operatorToken) : undefined;
  const sending = new ProgressBar('orders', settings.count);
  const run = await generateLoad(settings, (sent, outcomes) => {
    const errors = outcomes.filter((o) => o.error).length;
    sending.update(sent, `errors ${errors}  p99 so far ${percentiles(outcomes.slice(-2_000).map((o) => o.latencyMs)).p99.toFixed(0)} ms`);
  });
  sending.done();

  const accepted = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
  const settling = new ProgressBar('sagas ', accepted.length);
  const sagas = await trackSagas(
    settings.url,
    accepted,
    settings.sagaTimeoutSeconds * 1_000,
    (settled) => settling.update(settled),
    settings.operatorToken,
  );
  settling.done();
  // The sagas are over; the work they left (emails, mostly) may not be: the drain ends with the queues.
  if (queues && !(await queues.untilEmpty(settings.sagaTimeoutSeconds * 1_000)))
    process.stdout.write('the work queues were not empty by the end of --saga-timeout\n');
  await queues?.stop();
  const services = resourcesBetween(before, sampleServices());

  const report = buildReport(settings, run, sagas, services, memory.stop());
  if (settings.phases && queues)
    report.spike = buildSpikeReport(settings.phases, settings.rate, run, sagas, queues.samples, queues.problem);
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
