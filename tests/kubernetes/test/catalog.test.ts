import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONSUMER_QUEUES, queueOf, SERVICE_NAMES, serviceCatalog, serviceNamed } from '@shop/catalog';
import {
  checkScaledObject,
  checkService,
  checkServiceDeployment,
  connectionBudget,
  doublyScaled,
  RESERVED_CONNECTIONS,
  settingsMissingFromSources,
} from './checks';
import { copy, named, ofKind, OVERLAYS, rendered } from './manifests';

/** The rendered overlays against packages/catalog, the settings schemas and the Dockerfile. */
describe('the list of settings a Deployment may set', () => {
  test('when compared with the code, then every name in it is still read where the list says', () => {
    assert.deepEqual(settingsMissingFromSources(), []);
  });
});

for (const overlay of OVERLAYS) {
  describe(`the ${overlay} overlay, against the service catalog`, () => {
    const objects = rendered(overlay);

    test('when rendered, then every catalog service has exactly one Deployment and one Service', () => {
      for (const name of SERVICE_NAMES) {
        assert.equal(
          ofKind(objects, 'Deployment').filter((object) => object.metadata.name === name).length,
          1,
          `Deployments named ${name}`,
        );
        assert.equal(ofKind(objects, 'Service').filter((object) => object.metadata.name === name).length, 1, `Services named ${name}`);
      }
    });

    test("when a service's Deployment is read, then its port, probes, folder, command, settings and credentials are the catalog's and the code's", () => {
      const problems = serviceCatalog.flatMap((service) =>
        checkServiceDeployment(named(objects, 'Deployment', service.name)!, service, objects),
      );
      assert.deepEqual(problems, []);
    });

    test("when a service's Service is read, then it selects the service's pods and forwards to the catalog port", () => {
      const problems = serviceCatalog.flatMap((service) =>
        checkService(named(objects, 'Service', service.name), named(objects, 'Deployment', service.name)!, service),
      );
      assert.deepEqual(problems, []);
    });

    test('when a ScaledObject is read, then its queue is a catalog queue that the Deployment it scales consumes', () => {
      assert.deepEqual(
        ofKind(objects, 'ScaledObject').flatMap((scaledObject) => checkScaledObject(scaledObject, objects)),
        [],
      );
    });

    test('when autoscalers are rendered, then no Deployment has two', () => {
      assert.deepEqual(doublyScaled(objects), []);
    });

    test("when every service's pool is multiplied by its most replicas and surge pods, then the sum stays below max_connections", () => {
      const budget = connectionBudget(objects);
      const shown = budget.lines.map((line) => `${line.service} ${line.poolMax} x (${line.maxReplicas} + ${line.surge})`).join(', ');
      assert.ok(
        budget.total + RESERVED_CONNECTIONS <= budget.maxConnections,
        `${shown} = ${budget.total}, + ${RESERVED_CONNECTIONS} reserved, exceeds max_connections ${budget.maxConnections}`,
      );
      // The plain form of decision 0018's rule, without the surge pods or the reserve.
      const plain = budget.lines.reduce((sum, line) => sum + line.poolMax * line.maxReplicas, 0);
      assert.ok(plain < budget.maxConnections);
    });
  });
}

describe('the production overlay, scaled', () => {
  const objects = rendered('production');

  test('when rendered, then every consumer is scaled by KEDA on its work queue, and the order service on CPU as well', () => {
    const scaled = ofKind(objects, 'ScaledObject');
    assert.deepEqual(scaled.map((object) => object.spec.scaleTargetRef.name).sort(), [...SERVICE_NAMES].sort());
    const queues = scaled.flatMap((object) =>
      object.spec.triggers.filter((t: any) => t.type === 'rabbitmq').map((t: any) => t.metadata.queueName),
    );
    assert.deepEqual(queues.sort(), [...CONSUMER_QUEUES].sort());
    const order = scaled.find((object) => object.spec.scaleTargetRef.name === 'order')!;
    assert.ok(order.spec.triggers.some((trigger: any) => trigger.type === 'cpu'));
    assert.equal(ofKind(objects, 'HorizontalPodAutoscaler').length, 0, 'KEDA makes the order HPA; none is written by hand');
  });

  test('when rendered, then every service has a disruption budget, autoscaled Deployments set no replicas, and no fake provider runs', () => {
    for (const name of SERVICE_NAMES) {
      const budget = ofKind(objects, 'PodDisruptionBudget').find((pdb) => pdb.spec.selector.matchLabels['app.kubernetes.io/name'] === name);
      assert.ok(budget, `PodDisruptionBudget for ${name}`);
      assert.equal(named(objects, 'Deployment', name)!.spec.replicas, undefined, `${name} replicas`);
    }
    assert.equal(named(objects, 'Deployment', 'payment-provider'), undefined);
    assert.equal(named(objects, 'Deployment', 'mailpit'), undefined);
    assert.equal(named(objects, 'RabbitmqCluster', 'rabbitmq')!.spec.replicas, 3);
    assert.equal(named(objects, 'Cluster', 'postgres')!.spec.instances, 3);
  });
});

describe('the checks, given broken copies of rendered objects', () => {
  const objects = rendered('production');
  const payment = serviceNamed('payment');
  const deployment = named(objects, 'Deployment', 'payment')!;
  const scaledObject = named(objects, 'ScaledObject', 'payment')!;

  test('when the untouched objects are checked, then nothing is reported', () => {
    assert.deepEqual(checkServiceDeployment(deployment, payment, objects), []);
    assert.deepEqual(checkScaledObject(scaledObject, objects), []);
  });

  test('when a Deployment listens on another port than the catalog, then the check rejects it', () => {
    const broken = copy(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 3999;
    const problems = checkServiceDeployment(broken, payment, objects);
    assert.ok(
      problems.some((problem) => /containerPort 3999/.test(problem)),
      problems.join('\n'),
    );
  });

  test('when probes ask another path or port, then the check rejects it', () => {
    const broken = copy(deployment);
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.path = '/healthz';
    broken.spec.template.spec.containers[0].livenessProbe.httpGet.port = 3000;
    const problems = checkServiceDeployment(broken, payment, objects);
    assert.ok(problems.some((problem) => /readinessProbe asks \/healthz/.test(problem)));
    assert.ok(problems.some((problem) => /livenessProbe asks port 3000/.test(problem)));
  });

  test('when a Deployment sets a variable no service reads, or one of another service, then the check rejects it', () => {
    const broken = copy(deployment);
    broken.spec.template.spec.containers[0].env.push(
      { name: 'PAYMENT_PROVIDR_URL', value: 'http://typo' },
      { name: 'SMTP_URL', value: 'smtp://x' },
    );
    const problems = checkServiceDeployment(broken, payment, objects);
    assert.ok(problems.some((problem) => /sets PAYMENT_PROVIDR_URL/.test(problem)));
    assert.ok(problems.some((problem) => /sets SMTP_URL/.test(problem)));
  });

  test("when a Deployment takes another service's credentials or runs elsewhere, then the check rejects it", () => {
    const broken = copy(deployment);
    const container = broken.spec.template.spec.containers[0];
    container.env.find((variable: any) => variable.name === 'DATABASE_URL').valueFrom.secretKeyRef.name = 'shop-order-postgres';
    container.workingDir = '/app/services/order';
    broken.spec.template.spec.terminationGracePeriodSeconds = 10;
    const problems = checkServiceDeployment(broken, payment, objects);
    assert.ok(problems.some((problem) => /DATABASE_URL does not come from its own Secret/.test(problem)));
    assert.ok(problems.some((problem) => /workingDir/.test(problem)));
    assert.ok(problems.some((problem) => /terminationGracePeriodSeconds 10/.test(problem)));
  });

  test('when a ScaledObject names a queue outside the catalog or another service’s queue, then the check rejects it', () => {
    const unknown = copy(scaledObject);
    unknown.spec.triggers[0].metadata.queueName = 'payment.comands';
    assert.ok(checkScaledObject(unknown, objects).some((problem) => /not a queue of the catalog/.test(problem)));
    const another = copy(scaledObject);
    another.spec.triggers[0].metadata.queueName = queueOf('inventory');
    assert.ok(checkScaledObject(another, objects).some((problem) => /not the one payment consumes/.test(problem)));
  });

  test('when a second autoscaler targets a Deployment, then it is reported', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'order' },
      spec: { scaleTargetRef: { name: 'order' } },
    };
    assert.deepEqual(doublyScaled([...objects, hpa]), ['order']);
  });

  test('when a service may scale past the connection budget, then the budget exceeds max_connections', () => {
    const scaled = objects.map((object) => (object === scaledObject ? copy(object) : object));
    scaled.find((object) => object.kind === 'ScaledObject' && object.metadata.name === 'payment')!.spec.maxReplicaCount = 10;
    const budget = connectionBudget(scaled);
    assert.ok(budget.total + RESERVED_CONNECTIONS > budget.maxConnections, `${budget.total} against ${budget.maxConnections}`);
  });
});
