import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idOf, OVERLAYS, rendered, secretsOfScript } from './manifests';
import { STRUCTURALLY_CHECKED_KINDS, validateObject } from './schemas';

/**
 * Every overlay of deploy/kubernetes, rendered by kustomize (`kubectl kustomize`, no cluster),
 * validated object by object against the Kubernetes and the operators' schemas; the RabbitMQ
 * operators' kinds, which have none to install, by a structural check.
 */
for (const overlay of OVERLAYS) {
  describe(`the ${overlay} overlay, rendered`, () => {
    test('when kustomize renders it, then it gives objects, each with an apiVersion, a kind and a name in the shop namespace', () => {
      const objects = rendered(overlay);
      assert.ok(objects.length > 0);
      for (const object of objects) {
        assert.ok(object.apiVersion && object.kind && object.metadata?.name, `incomplete object: ${JSON.stringify(object).slice(0, 200)}`);
        if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, 'shop', `${idOf(object)} is outside the shop namespace`);
      }
      const ids = objects.map(idOf);
      assert.deepEqual(
        ids.filter((id, index) => ids.indexOf(id) !== index),
        [],
        'objects rendered twice',
      );
    });

    test('when every object is validated, then each passes its schema or structural check and none is skipped', async () => {
      const objects = rendered(overlay);
      const outcomes = await Promise.all(
        objects.map((object) =>
          validateObject(object).then(
            (path) => ({ id: idOf(object), path, error: undefined as string | undefined }),
            (error: Error) => ({ id: idOf(object), path: undefined, error: error.message }),
          ),
        ),
      );
      assert.deepEqual(
        outcomes.filter(({ error }) => error).map(({ error }) => error),
        [],
      );
      const validated = outcomes.filter(({ path }) => path === 'schema' || path === 'structural');
      assert.equal(validated.length, objects.length, 'every rendered object went through one validation path');
      const structural = new Set(outcomes.filter(({ path }) => path === 'structural').map(({ id }) => id.split(' ').slice(0, 2).join('/')));
      for (const kind of structural) assert.ok(STRUCTURALLY_CHECKED_KINDS.includes(kind), kind);
    });
  });
}

describe('the Secrets create-secrets.sh makes', () => {
  test('when printed by its --dry-run, then every one is a valid Secret', async () => {
    for (const production of [false, true]) {
      const secrets = secretsOfScript(production);
      assert.ok(secrets.length > 0);
      for (const secret of secrets) assert.equal(await validateObject(secret), 'schema');
    }
  });
});

describe('the validation itself', () => {
  test('when an object breaks its schema, then validation rejects it', async () => {
    const deployment = rendered('demo').find((object) => object.kind === 'Deployment')!;
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    await assert.rejects(validateObject(broken), /containerPort/);
  });

  test('when a kind has neither a schema nor a structural check, then validation fails instead of skipping it', async () => {
    await assert.rejects(
      validateObject({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' }, spec: {} }),
      /no schema and no structural check/,
    );
  });

  test('when a structurally checked object lacks a field or has one the check does not know, then it is rejected', async () => {
    const cluster = rendered('production').find((object) => object.kind === 'RabbitmqCluster')!;
    await assert.rejects(validateObject({ ...cluster, spec: {} }), /spec\.replicas is missing/);
    await assert.rejects(validateObject({ ...cluster, spec: { replicas: 3, replica: 1 } }), /spec\.replica is not a field/);
  });
});
