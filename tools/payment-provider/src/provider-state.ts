import { BehaviourSwitch, type BehaviourPatch } from './behaviour';
import { Ledger } from './ledger';
import { PendingRequests } from './pending-requests';
import { StatsCounters } from './provider-stats';

export interface ProviderOptions {
  /** Starts from calm (no latency, faults or declines) with this applied. */
  behaviour?: BehaviourPatch;
  /** Append-only JSON lines; replayed at start when it exists. */
  ledgerFile?: string;
}

/** Everything one provider instance holds; the routes share it. */
export interface ProviderState {
  behaviour: BehaviourSwitch;
  ledger: Ledger;
  stats: StatsCounters;
  pending: PendingRequests;
}

export function createProviderState(options: ProviderOptions = {}): ProviderState {
  return {
    behaviour: new BehaviourSwitch(options.behaviour),
    ledger: Ledger.open(options.ledgerFile),
    stats: new StatsCounters(),
    pending: new PendingRequests(),
  };
}
