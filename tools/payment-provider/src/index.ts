/** @shop/payment-provider: a fake card payment provider, in this process or as a separate one. */
export { CALM_BEHAVIOUR } from './behaviour';
export type { Behaviour, BehaviourPatch, Latency } from './behaviour';
export { ProviderControl } from './provider-control';
export type { Charge, ChargeList, DeclineCode, ProviderErrorBody, ProviderErrorType, Refund } from './provider-objects';
export { startProviderProcess, type ProviderProcess } from './provider-process';
export { startProvider, type RunningProvider, type StartProviderOptions } from './provider-server';
export type { ProviderOptions, ProviderState } from './provider-state';
export type { ProviderStats } from './provider-stats';
