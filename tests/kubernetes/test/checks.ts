import { CONSUMER_QUEUES, queueOf, SERVICE_NAMES, type ServiceEntry, type ServiceName } from '@shop/catalog';
import { named, ofKind, readRepoFile, type K8sObject } from './manifests';

/**
 * The environment variables the services read, by where each is read; a Deployment may set no
 * other. `settingsSourcesAgree` (catalog.test.ts) checks every name still appears in its file.
 */
export const SETTINGS_SOURCES: readonly { source: string; services: readonly ServiceName[]; names: readonly string[] }[] = [
  {
    // baseServiceSchema: every service.
    source: 'packages/config/src/index.ts',
    services: SERVICE_NAMES,
    names: [
      'PORT',
      'HOST',
      'LOG_LEVEL',
      'RABBITMQ_URL',
      'DATABASE_URL',
      'SHUTDOWN_TIMEOUT_MS',
      'RABBITMQ_PREFETCH',
      'MESSAGE_BATCH_SIZE',
      'MESSAGE_BATCH_LINGER_MS',
      'DATABASE_POOL_MAX',
      'DATABASE_PREPARED_STATEMENTS',
      'RETRY_DELAYS_MS',
      'OPERATOR_TOKEN',
    ],
  },
  {
    // startTelemetry, which every service loads with `--require @shop/telemetry/register`.
    source: 'packages/telemetry/src/start-telemetry.ts',
    services: SERVICE_NAMES,
    names: [
      'OTEL_SDK_DISABLED',
      'OTEL_METRICS_EXPORTER',
      'OTEL_LOGS_EXPORTER',
      'OTEL_TRACES_EXPORTER',
      'OTEL_SERVICE_NAME',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_PROMETHEUS_HOST',
      'OTEL_EXPORTER_PROMETHEUS_PORT',
      'DEPLOYMENT_ENVIRONMENT',
    ],
  },
  {
    // Standard variables the OpenTelemetry Node SDK reads for its sampler, as docs/performance.md uses them.
    source: 'docs/performance.md',
    services: SERVICE_NAMES,
    names: ['OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'],
  },
  {
    source: 'services/order/src/config.ts',
    services: ['order'],
    names: [
      'SAGA_STEP_TIMEOUT_MS',
      'SAGA_DEADLINE_POLL_MS',
      'SAGA_COMPENSATION_RETRY_MAX_MS',
      'PLACE_ORDER_GROUP_SIZE',
      'PLACE_ORDER_TRANSACTIONS',
      'ORDER_RATE_LIMIT_PER_MINUTE',
      'ORDER_CURRENCY',
    ],
  },
  { source: 'services/inventory/src/config.ts', services: ['inventory'], names: ['INVENTORY_FAILURE_RATE', 'INVENTORY_ADDED_LATENCY_MS'] },
  {
    source: 'services/payment/src/config.ts',
    services: ['payment'],
    names: [
      'PAYMENT_PROVIDER_URL',
      'PAYMENT_PROVIDER_TIMEOUT_MS',
      'PAYMENT_PROVIDER_ATTEMPTS',
      'PAYMENT_PROVIDER_BACKOFF_MS',
      'PAYMENT_PROVIDER_CONNECTIONS',
      'PAYMENT_PROVIDER_BREAKER_FAILURE_RATIO',
      'PAYMENT_PROVIDER_BREAKER_WINDOW_MS',
      'PAYMENT_PROVIDER_BREAKER_MIN_RPS',
      'PAYMENT_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS',
      'PAYMENT_FAILURE_RATE',
      'PAYMENT_ADDED_LATENCY_MS',
    ],
  },
  {
    source: 'services/warehouse/src/config.ts',
    services: ['warehouse'],
    names: ['WAREHOUSE_UNSERVED_COUNTRIES', 'WAREHOUSE_FAILURE_RATE', 'WAREHOUSE_ADDED_LATENCY_MS'],
  },
  {
    source: 'services/email/src/config.ts',
    services: ['email'],
    names: [
      'SMTP_URL',
      'EMAIL_FROM',
      'SMTP_TIMEOUT_MS',
      'SMTP_ATTEMPTS',
      'SMTP_BACKOFF_MS',
      'SMTP_BREAKER_FAILURE_RATIO',
      'SMTP_BREAKER_WINDOW_MS',
      'SMTP_BREAKER_MIN_RPS',
      'SMTP_BREAKER_HALF_OPEN_AFTER_MS',
      'EMAIL_FAILURE_RATE',
      'EMAIL_ADDED_LATENCY_MS',
    ],
  },
];

/** Names of SETTINGS_SOURCES missing from their source file: the list has drifted from the code. */
export function settingsMissingFromSources(): string[] {
  return SETTINGS_SOURCES.flatMap(({ source, names }) => {
    const text = readRepoFile(source);
    return names.filter((name) => !new RegExp(`\\b${name}\\b`).test(text)).map((name) => `${name} (${source})`);
  });
}

function allowedSettings(service: ServiceName): Set<string> {
  return new Set(SETTINGS_SOURCES.filter(({ services }) => services.includes(service)).flatMap(({ names }) => names));
}

/** Defaults of baseServiceSchema (packages/config) the checks below fall back on. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const DEFAULT_DATABASE_POOL_MAX = 15;
/** Seconds between SHUTDOWN_TIMEOUT_MS and the kill, for the telemetry flush and exit. */
export const GRACE_MARGIN_SECONDS = 5;

/** How a container gets one variable: a literal (its own or a ConfigMap's) or a Secret's key. */
export type EnvSource = { value: string } | { secret: string; key: string; optional: boolean } | { unresolved: string };

/** A container's variables as the kubelet sets them: envFrom first, then env, later ones winning. */
export function effectiveEnv(container: any, objects: readonly K8sObject[]): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const configMap = named(objects, 'ConfigMap', from.configMapRef.name);
      if (!configMap) env.set(`envFrom ConfigMap ${from.configMapRef.name}`, { unresolved: 'no such ConfigMap in the output' });
      for (const [name, value] of Object.entries(configMap?.data ?? {})) env.set((from.prefix ?? '') + name, { value });
    } else {
      // A Secret's keys are not known before it exists: secrets are named one by one.
      env.set(`envFrom ${JSON.stringify(from)}`, { unresolved: 'only ConfigMaps may be used with envFrom' });
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env.set(variable.name, { value: String(variable.value) });
    else if (variable.valueFrom?.secretKeyRef) {
      const { name, key, optional } = variable.valueFrom.secretKeyRef;
      env.set(variable.name, { secret: name, key, optional: optional === true });
    } else if (variable.valueFrom?.configMapKeyRef) {
      const { name, key } = variable.valueFrom.configMapKeyRef;
      const value = named(objects, 'ConfigMap', name)?.data?.[key];
      env.set(variable.name, value === undefined ? { unresolved: `ConfigMap ${name} has no ${key}` } : { value });
    } else env.set(variable.name, { unresolved: 'valueFrom of an unsupported kind' });
  }
  return env;
}

const literal = (env: Map<string, EnvSource>, name: string): string | undefined => {
  const source = env.get(name);
  return source && 'value' in source ? source.value : undefined;
};

/** A probe's or Service's port, resolved through the container's named ports. */
function portNumber(container: any, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate: any) => candidate.name === port)?.containerPort;
}

/** The Dockerfile's CMD: what a service container runs. */
export function dockerfileCommand(): string[] {
  const line = readRepoFile('Dockerfile')
    .split('\n')
    .find((text) => text.startsWith('CMD '));
  if (!line) throw new Error('the Dockerfile has no CMD');
  return JSON.parse(line.slice('CMD '.length)) as string[];
}

/**
 * Problems of a service's Deployment against the catalog and the code: an empty list when it
 * runs the service as the image, compose and the settings schemas expect.
 */
export function checkServiceDeployment(deployment: K8sObject, service: ServiceEntry, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const where = `Deployment ${deployment.metadata.name}`;
  const pod = deployment.spec?.template?.spec ?? {};
  const containers: any[] = pod.containers ?? [];
  if (containers.length !== 1) return [`${where}: ${containers.length} containers, expected 1`];
  const container = containers[0];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(`${where}: ${problem}`);
  };

  expect(/(^|\/)shop(:[\w.-]+)?$/.test(container.image ?? ''), `image ${container.image} is not the shop image`);
  expect(container.workingDir === `/app/services/${service.name}`, `workingDir ${container.workingDir}`);
  expect(
    JSON.stringify(container.command) === JSON.stringify(dockerfileCommand()),
    `command ${JSON.stringify(container.command)} is not the Dockerfile's CMD`,
  );

  const http = container.ports?.find((port: any) => port.name === 'http');
  expect(http?.containerPort === service.port, `containerPort ${http?.containerPort} is not the catalog's port ${service.port}`);
  for (const [probe, path] of [
    ['readinessProbe', '/readyz'],
    ['livenessProbe', '/healthz'],
  ] as const) {
    const get = container[probe]?.httpGet;
    expect(get?.path === path, `${probe} asks ${get?.path}, not ${path}`);
    expect(portNumber(container, get?.port) === service.port, `${probe} asks port ${get?.port}, not ${service.port}`);
  }

  const env = effectiveEnv(container, objects);
  const allowed = allowedSettings(service.name as ServiceName);
  for (const [name, source] of env) {
    if ('unresolved' in source) problems.push(`${where}: ${name}: ${source.unresolved}`);
    else expect(allowed.has(name), `sets ${name}, which the ${service.name} service does not read`);
  }
  expect(literal(env, 'PORT') === String(service.port), `PORT ${literal(env, 'PORT')} is not the catalog's port ${service.port}`);
  expect(literal(env, 'HOST') === '0.0.0.0', 'HOST is not 0.0.0.0: the probes would not reach it');
  const own = (name: string, secret: string) => {
    const source = env.get(name);
    expect(
      !!source && 'secret' in source && source.secret === secret && source.key === name && !source.optional,
      `${name} does not come from its own Secret ${secret} (key ${name})`,
    );
  };
  own('RABBITMQ_URL', `shop-${service.name}-rabbitmq`);
  own('DATABASE_URL', `shop-${service.name}-postgres`);
  const serviceName = literal(env, 'OTEL_SERVICE_NAME');
  expect(serviceName === service.name, `OTEL_SERVICE_NAME ${serviceName}`);

  // Metrics: the SDK's Prometheus exporter on every interface, on the port the annotations name.
  const metricsPort = Number(literal(env, 'OTEL_EXPORTER_PROMETHEUS_PORT') ?? 9464);
  expect(literal(env, 'OTEL_METRICS_EXPORTER') === 'prometheus', 'OTEL_METRICS_EXPORTER is not prometheus');
  expect(literal(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') === '0.0.0.0', 'OTEL_EXPORTER_PROMETHEUS_HOST is not 0.0.0.0');
  expect(portNumber(container, 'metrics') === metricsPort, `no containerPort "metrics" ${metricsPort}`);
  const annotations = deployment.spec?.template?.metadata?.annotations ?? {};
  expect(annotations['prometheus.io/port'] === String(metricsPort), `prometheus.io/port ${annotations['prometheus.io/port']}`);

  const shutdownMs = Number(literal(env, 'SHUTDOWN_TIMEOUT_MS') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  expect(
    grace >= shutdownMs / 1000 + GRACE_MARGIN_SECONDS,
    `terminationGracePeriodSeconds ${grace} leaves no ${GRACE_MARGIN_SECONDS} s margin over SHUTDOWN_TIMEOUT_MS ${shutdownMs}`,
  );

  const security = container.securityContext ?? {};
  expect(pod.securityContext?.runAsNonRoot === true && pod.securityContext?.runAsUser > 0, 'does not run as a numeric non-root user');
  expect(security.readOnlyRootFilesystem === true, 'root filesystem is writable');
  expect(security.allowPrivilegeEscalation === false, 'allows privilege escalation');
  for (const kind of ['requests', 'limits'])
    for (const resource of ['cpu', 'memory']) expect(container.resources?.[kind]?.[resource] !== undefined, `no ${resource} ${kind}`);
  return problems;
}

/** The Service named as the catalog entry: problems when it does not reach the pods' port. */
export function checkService(serviceObject: K8sObject | undefined, deployment: K8sObject, service: ServiceEntry): string[] {
  if (!serviceObject) return [`no Service ${service.name}`];
  const problems: string[] = [];
  const labels = deployment.spec?.template?.metadata?.labels ?? {};
  const selector: Record<string, string> = serviceObject.spec?.selector ?? {};
  if (Object.keys(selector).length === 0 || !Object.entries(selector).every(([key, value]) => labels[key] === value))
    problems.push(`Service ${service.name}: its selector does not select the Deployment's pods`);
  const container = deployment.spec?.template?.spec?.containers?.[0];
  const port = serviceObject.spec?.ports?.find((candidate: any) => candidate.port === service.port);
  if (!port) problems.push(`Service ${service.name}: no port ${service.port}`);
  else if (portNumber(container, port.targetPort ?? port.port) !== service.port)
    problems.push(`Service ${service.name}: targetPort ${port.targetPort} is not the catalog's port ${service.port}`);
  return problems;
}

/** Problems of a ScaledObject: its queue must be a catalog queue, consumed by the Deployment it scales. */
export function checkScaledObject(scaledObject: K8sObject, objects: readonly K8sObject[]): string[] {
  const where = `ScaledObject ${scaledObject.metadata.name}`;
  const target: string | undefined = scaledObject.spec?.scaleTargetRef?.name;
  const problems: string[] = [];
  if (!target || !(SERVICE_NAMES as readonly string[]).includes(target) || !named(objects, 'Deployment', target))
    return [`${where}: targets ${target}, not a service's Deployment`];
  if (!Number.isInteger(scaledObject.spec?.maxReplicaCount)) problems.push(`${where}: no maxReplicaCount (KEDA's default is 100)`);
  const queueTriggers = (scaledObject.spec?.triggers ?? []).filter((trigger: any) => trigger.type === 'rabbitmq');
  if (queueTriggers.length !== 1) problems.push(`${where}: ${queueTriggers.length} rabbitmq triggers, expected 1`);
  for (const trigger of queueTriggers) {
    const queue = trigger.metadata?.queueName;
    if (!CONSUMER_QUEUES.includes(queue)) problems.push(`${where}: queue ${queue} is not a queue of the catalog`);
    else if (queueOf(target as ServiceName) !== queue) problems.push(`${where}: queue ${queue} is not the one ${target} consumes`);
    if (trigger.metadata?.mode !== 'QueueLength') problems.push(`${where}: mode ${trigger.metadata?.mode}, not QueueLength`);
    const authentication = named(objects, 'TriggerAuthentication', trigger.authenticationRef?.name ?? '');
    const host = authentication?.spec?.secretTargetRef?.find((ref: any) => ref.parameter === 'host');
    if (host?.name !== `shop-${target}-rabbitmq` || host?.key !== 'RABBITMQ_URL')
      problems.push(`${where}: its TriggerAuthentication does not read the broker URL from Secret shop-${target}-rabbitmq`);
  }
  return problems;
}

/** Deployments that more than one autoscaler (KEDA ScaledObject or HorizontalPodAutoscaler) targets. */
export function doublyScaled(objects: readonly K8sObject[]): string[] {
  const targets = [
    ...ofKind(objects, 'ScaledObject').map((object) => object.spec?.scaleTargetRef?.name),
    ...ofKind(objects, 'HorizontalPodAutoscaler').map((object) => object.spec?.scaleTargetRef?.name),
  ];
  return targets.filter((name, index) => targets.indexOf(name) !== index);
}

/** Connections kept out of the services' budget: superusers (3), CloudNativePG's instance manager and exporter, an operator's psql. */
export const RESERVED_CONNECTIONS = 20;

export interface ConnectionBudget {
  lines: { service: string; poolMax: number; maxReplicas: number; surge: number; connections: number }[];
  total: number;
  maxConnections: number;
}

/**
 * The services' most PostgreSQL connections: per service, DATABASE_POOL_MAX x (most replicas +
 * the rollout's surge pods), the most replicas being the ScaledObject's maxReplicaCount or else
 * the Deployment's replicas; against the CloudNativePG Cluster's max_connections.
 */
export function connectionBudget(objects: readonly K8sObject[]): ConnectionBudget {
  const lines = SERVICE_NAMES.map((service) => {
    const deployment = named(objects, 'Deployment', service);
    const container = deployment?.spec?.template?.spec?.containers?.[0] ?? {};
    const poolMax = Number(literal(effectiveEnv(container, objects), 'DATABASE_POOL_MAX') ?? DEFAULT_DATABASE_POOL_MAX);
    const scaledObject = ofKind(objects, 'ScaledObject').find((object) => object.spec?.scaleTargetRef?.name === service);
    const maxReplicas: number = scaledObject ? (scaledObject.spec.maxReplicaCount ?? 100) : (deployment?.spec?.replicas ?? 1);
    const strategy = deployment?.spec?.strategy ?? {};
    const maxSurge = strategy.type === 'Recreate' ? 0 : (strategy.rollingUpdate?.maxSurge ?? '25%');
    const surge = typeof maxSurge === 'number' ? maxSurge : Math.ceil((maxReplicas * parseInt(String(maxSurge), 10)) / 100);
    return { service, poolMax, maxReplicas, surge, connections: poolMax * (maxReplicas + surge) };
  });
  const clusters = ofKind(objects, 'Cluster');
  if (clusters.length !== 1) throw new Error(`${clusters.length} CloudNativePG Clusters, expected 1`);
  const maxConnections = Number(clusters[0]!.spec?.postgresql?.parameters?.max_connections ?? 100);
  return { lines, total: lines.reduce((sum, line) => sum + line.connections, 0), maxConnections };
}
