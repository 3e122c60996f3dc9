import type { LoadReport } from '@shop/load/dist/src/load-report';
import { HelperProcess, serveAsHelper } from './helper-process';
import { sagaStep } from './saga-capacity';

/**
 * A step's load (sagaStep) in a fresh process of its own, started before the step and run when
 * asked; its CPU is the load generator's and the following of the sagas. The process does the
 * same work in every step at one rate whatever the services' setting, so its CPU is a yardstick
 * of how fast the machine ran that step: the same work took up to 45% more CPU from one minute to
 * the next on the shared machines this was measured on (docs/performance.md, "Metrics cost"). A
 * fresh process each step keeps the bench's own heap (the reports of the steps before) and its
 * sinks out of that count.
 */
export const startLoadProcess = (orderUrl: string, rate: number, seconds: number): Promise<HelperProcess<LoadReport>> =>
  HelperProcess.start<LoadReport>(__filename, [orderUrl, String(rate), String(seconds)]);

if (require.main === module && process.send) {
  const [orderUrl, rate, seconds] = process.argv.slice(2);
  serveAsHelper(() => () => sagaStep(orderUrl!, Number(rate), Number(seconds)));
}
