import { generateLoad, type LoadRun, type RequestOutcome } from './load-generator';
import type { LoadSettings } from './load-settings';
import { watchQueues } from './queue-watch';
import { trackSagas, type SagaOutcome } from './saga-tracker';
import { buildSpikeReport, type SpikeReport } from './spike-report';

/** What a run leaves: every request's answer, every accepted order's saga, and for a spike its report. */
export interface LoadRunResult {
  run: LoadRun;
  sagas: SagaOutcome[];
  /** For a run with phases (`--spike`); undefined otherwise. */
  spike?: SpikeReport;
  /** For a run with phases: whether the work queues were empty again before `sagaTimeoutSeconds` ran out. */
  drained?: boolean;
}

/** Progress while a run goes on; each callback is optional. */
export interface LoadRunProgress {
  /** After each request is sent, with the answers so far. */
  sent?(sent: number, outcomes: RequestOutcome[]): void;
  /** Once every request has its answer, with how many orders were accepted: their sagas are followed next. */
  allSent?(run: LoadRun, accepted: number): void;
  /** As the accepted orders' sagas become final. */
  settled?(settled: number): void;
}

/**
 * One run of the load, the same for `npm run load` and the bench's spike: POST /orders at the
 * settings' rate (or phases of rates), then every accepted order followed to its final state.
 * A run with phases is judged by the backlog it leaves, so the queues are followed from the first
 * order until they are empty again (the sagas may be over while the work they left, emails mostly,
 * is not), and the spike's report is built from both.
 */
export async function runLoad(settings: LoadSettings, progress: LoadRunProgress = {}): Promise<LoadRunResult> {
  const queues = settings.phases ? watchQueues(settings.url, settings.operatorToken) : undefined;
  try {
    const run = await generateLoad(settings, (sent, outcomes) => progress.sent?.(sent, outcomes));
    const accepted = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
    progress.allSent?.(run, accepted.length);
    const sagas = await trackSagas(
      settings.url,
      accepted,
      settings.sagaTimeoutSeconds * 1_000,
      (settled) => progress.settled?.(settled),
      settings.operatorToken,
    );
    if (!settings.phases || !queues) return { run, sagas };
    const drained = await queues.untilEmpty(settings.sagaTimeoutSeconds * 1_000);
    return {
      run,
      sagas,
      drained,
      spike: buildSpikeReport(settings.phases, settings.rate, run, sagas, queues.samples, queues.problem),
    };
  } finally {
    // Whatever ended the run, a step that threw included: an open stream would keep the process alive.
    await queues?.stop();
  }
}
