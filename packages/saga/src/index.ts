export { defineSaga, type SagaDefinition, type SagaHookContext, type SagaStep } from './saga-definition';
export { SagaEngine, type SagaEngineOptions } from './saga-engine';
export { DeadlineWatcher, type DeadlineWatcherOptions } from './deadline-watcher';
export { outboxCommandSender, type CommandSender } from './command-sender';
export type { DueSaga, LoggedStep, SagaInstance, SagaState, SagaStore, StepLogEntry } from './saga-store';
export { StepLogFeed, type StepLogFeedOptions } from './step-log-feed';
export { postgresSagaStore, sagaRepository } from './saga-repository';
export { sagaMigrations } from './saga-migrations';
