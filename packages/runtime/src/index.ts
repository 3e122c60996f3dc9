export {
  startService,
  type ServiceDefinition,
  type ServiceParts,
  type Infrastructure,
  type RunningService,
  type BackgroundTask,
} from './start-service';
export { runMain } from './run-main';
