export {
  DependencyPolicy,
  DependencyTimeoutError,
  DependencyUnavailableError,
  type BreakerSettings,
  type CallContext,
  type DependencyPolicyOptions,
} from './dependency-policy';
