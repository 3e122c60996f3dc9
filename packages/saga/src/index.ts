export { defineSaga, replyContracts, type SagaDefinition, type SagaHookContext, type SagaStep } from './saga-definition';
export { SagaEngine, type SagaEngineOptions } from './saga-engine';
export { DeadlineWatcher, type DeadlineWatcherOptions } from './deadline-watcher';
export { sagaRepository, type SagaInstance, type SagaState, type StepLogEntry } from './saga-repository';
export { sagaMigrations } from './saga-migrations';
