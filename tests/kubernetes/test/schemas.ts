import { idOf, type K8sObject } from './manifests';

/**
 * How each kind of the rendered output is validated. Kinds with a model validate against its
 * JSON schema (`new Model(object).validate()` throws on a schema error); the models are ES
 * modules only, so they are loaded with import(). A kind in neither list fails the test.
 */
type Model = new (data: any) => { validate(): void };

const MODELS: Record<string, () => Promise<Model>> = {
  // Kubernetes itself: kubernetes-models, generated from the Kubernetes OpenAPI.
  'v1/Namespace': async () => (await import('kubernetes-models/v1')).Namespace,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1')).ConfigMap,
  'v1/Secret': async () => (await import('kubernetes-models/v1')).Secret,
  'v1/Service': async () => (await import('kubernetes-models/v1')).Service,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1')).Deployment,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1')).PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': async () => (await import('kubernetes-models/autoscaling/v2')).HorizontalPodAutoscaler,
  // KEDA's CRDs: @kubernetes-models/keda.
  'keda.sh/v1alpha1/ScaledObject': async () => (await import('@kubernetes-models/keda/keda.sh/v1alpha1')).ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': async () => (await import('@kubernetes-models/keda/keda.sh/v1alpha1')).TriggerAuthentication,
  // CloudNativePG's CRDs: @kubernetes-models/cloudnative-pg.
  'postgresql.cnpg.io/v1/Cluster': async () => (await import('@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1')).Cluster,
  'postgresql.cnpg.io/v1/Database': async () => (await import('@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1')).Database,
  // The OpenTelemetry Operator's CRDs: @kubernetes-models/opentelemetry-operator.
  'opentelemetry.io/v1beta1/OpenTelemetryCollector': async () =>
    (await import('@kubernetes-models/opentelemetry-operator/opentelemetry.io/v1beta1')).OpenTelemetryCollector,
};

const string = (value: unknown) => typeof value === 'string' && value.length > 0;
const boolean = (value: unknown) => typeof value === 'boolean';
const regex = (value: unknown) => {
  if (!string(value)) return false;
  try {
    new RegExp(value as string);
    return true;
  } catch {
    return false;
  }
};

/** A spec's fields: each one allowed and, when present, valid; `required` ones must be present. */
interface FieldRule {
  check: (value: unknown) => boolean;
  required?: boolean;
}

const clusterReference: FieldRule = { check: (value: any) => string(value?.name), required: true };

/**
 * The RabbitMQ operators publish no JSON schema on the npm registry or in Debian, so their kinds
 * are checked here by hand: apiVersion and kind (the key), and every spec field this deployment
 * uses, with its type, as the operators' API references give them. Any other field fails: add
 * it here after checking it against the reference.
 * RabbitMQ Cluster Operator: https://www.rabbitmq.com/kubernetes/operator/using-operator
 * Messaging Topology Operator: https://www.rabbitmq.com/kubernetes/operator/using-topology-operator
 */
const STRUCTURAL: Record<string, Record<string, FieldRule>> = {
  'rabbitmq.com/v1beta1/RabbitmqCluster': {
    replicas: { check: (value) => Number.isInteger(value) && (value as number) >= 1, required: true },
  },
  'rabbitmq.com/v1beta1/Vhost': { name: { check: string, required: true }, rabbitmqClusterReference: clusterReference },
  'rabbitmq.com/v1beta1/User': {
    tags: { check: (value) => Array.isArray(value) && value.every(string), required: true },
    importCredentialsSecret: { check: (value: any) => string(value?.name), required: true },
    rabbitmqClusterReference: clusterReference,
  },
  'rabbitmq.com/v1beta1/Permission': {
    vhost: { check: string, required: true },
    user: { check: string, required: true },
    permissions: {
      check: (value: any) => regex(value?.configure) && regex(value?.write) && regex(value?.read) && Object.keys(value).length === 3,
      required: true,
    },
    rabbitmqClusterReference: clusterReference,
  },
  'rabbitmq.com/v1beta1/TopicPermission': {
    vhost: { check: string, required: true },
    user: { check: string, required: true },
    permissions: {
      check: (value: any) => string(value?.exchange) && regex(value?.write) && regex(value?.read) && Object.keys(value).length === 3,
      required: true,
    },
    rabbitmqClusterReference: clusterReference,
  },
  'rabbitmq.com/v1beta1/Exchange': {
    name: { check: string, required: true },
    vhost: { check: string, required: true },
    type: { check: (value) => ['direct', 'fanout', 'topic', 'headers'].includes(value as string), required: true },
    durable: { check: boolean },
    autoDelete: { check: boolean },
    rabbitmqClusterReference: clusterReference,
  },
};

/** The kinds checked by hand, named in the README as not schema-validated. */
export const STRUCTURALLY_CHECKED_KINDS: readonly string[] = Object.keys(STRUCTURAL);

const keyOf = (object: K8sObject) => `${object.apiVersion}/${object.kind}`;

function checkStructurally(object: K8sObject, rules: Record<string, FieldRule>): void {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') throw new Error(`${idOf(object)}: no spec`);
  if (!string(object.metadata?.name)) throw new Error(`${idOf(object)}: no metadata.name`);
  const problems = [
    ...Object.keys(spec)
      .filter((field) => !(field in rules))
      .map((field) => `spec.${field} is not a field this test knows for ${object.kind}`),
    ...Object.entries(rules).flatMap(([field, rule]) => {
      if (!(field in spec)) return rule.required ? [`spec.${field} is missing`] : [];
      return rule.check(spec[field]) ? [] : [`spec.${field} is invalid: ${JSON.stringify(spec[field])}`];
    }),
  ];
  if (problems.length > 0) throw new Error(`${idOf(object)}: ${problems.join('; ')}`);
}

/** How an object was validated; throws when it is invalid, or when no path knows its kind. */
export async function validateObject(object: K8sObject): Promise<'schema' | 'structural'> {
  const key = keyOf(object);
  const model = MODELS[key];
  if (model) {
    const Class = await model();
    try {
      new Class(object).validate();
    } catch (error) {
      throw new Error(`${idOf(object)}: ${(error as Error).message}`, { cause: error });
    }
    return 'schema';
  }
  const rules = STRUCTURAL[key];
  if (rules) {
    checkStructurally(object, rules);
    return 'structural';
  }
  throw new Error(`${idOf(object)}: no schema and no structural check for ${key}; add one to tests/kubernetes/test/schemas.ts`);
}
