export {
  startService,
  type ServiceDefinition,
  type ServiceParts,
  type Infrastructure,
  type RunningService,
  type BackgroundTask,
} from './start-service';
export { runMain } from './run-main';
// The demo switches live with the consumer that applies them; a service's own fault points (the
// email service's sends) use them from here.
export { injectFaults, type FaultSettings } from '@shop/messaging';
