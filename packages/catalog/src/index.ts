export {
  CONSUMER_QUEUES,
  PARTICIPANTS,
  queueOf,
  queueOfCommand,
  SERVICE_NAMES,
  serviceCatalog,
  serviceNamed,
  type ConsumedQueue,
  type ServiceEntry,
  type ServiceName,
} from './service-catalog';
export { COMPOSE_SCRAPE_INTERVAL_SECONDS, renderPrometheusConfig, type PrometheusConfigOptions } from './prometheus-config';
export {
  deprioritizeParticipant,
  PARTICIPANT_NICE,
  SERVICE_NODE_ARGS,
  serviceEntryPoint,
  serviceNodeCommand,
  serviceInstances,
  type ServiceInstance,
} from './service-process';
export {
  brokerDefinitions,
  brokerPermissions,
  brokerUserName,
  databaseRoleName,
  type BrokerAccess,
  type BrokerDefinitions,
  type BrokerPermissions,
  type TopicPermission,
} from './access';
