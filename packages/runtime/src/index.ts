export {
  startService,
  type ServiceDefinition,
  type ServiceParts,
  type Infrastructure,
  type RunningService,
  type BackgroundTask,
} from './start-service';
export { defineService, runWhenEntryPoint, type ServiceModule } from './service-module';
