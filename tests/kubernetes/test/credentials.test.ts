import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serviceCatalog } from '@shop/catalog';
import { effectiveEnv } from './checks';
import { named, ofKind, OVERLAYS, readRepoFile, rendered, secretsOfScript, type K8sObject } from './manifests';

/**
 * Credentials and least privilege (docs/security.md): what the manifests reference exists in
 * the Secrets create-secrets.sh makes, each service has its own RabbitMQ user and PostgreSQL
 * role, and the RabbitMQ topology is the one generated from the catalog.
 */
const decoded = (secret: K8sObject): Record<string, string> =>
  Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));

/** Every Secret key an object of the output reads, with whether it may be missing. */
function secretReferences(objects: readonly K8sObject[]): { where: string; secret: string; key: string; optional: boolean }[] {
  const references: { where: string; secret: string; key: string; optional: boolean }[] = [];
  for (const deployment of ofKind(objects, 'Deployment'))
    for (const container of deployment.spec.template.spec.containers)
      for (const [name, source] of effectiveEnv(container, objects))
        if ('secret' in source) references.push({ where: `Deployment ${deployment.metadata.name} ${name}`, ...source });
  for (const authentication of ofKind(objects, 'TriggerAuthentication'))
    for (const ref of authentication.spec.secretTargetRef ?? [])
      references.push({ where: `TriggerAuthentication ${authentication.metadata.name}`, secret: ref.name, key: ref.key, optional: false });
  for (const cluster of ofKind(objects, 'Cluster'))
    for (const role of cluster.spec.managed?.roles ?? [])
      for (const key of ['username', 'password'])
        references.push({ where: `Cluster role ${role.name}`, secret: role.passwordSecret.name, key, optional: false });
  for (const user of ofKind(objects, 'User'))
    for (const key of ['username', 'password'])
      references.push({ where: `User ${user.metadata.name}`, secret: user.spec.importCredentialsSecret.name, key, optional: false });
  return references;
}

for (const overlay of OVERLAYS) {
  describe(`the ${overlay} overlay's credentials`, () => {
    const objects = rendered(overlay);
    const secrets = new Map(secretsOfScript(overlay === 'production').map((secret) => [secret.metadata.name, decoded(secret)]));

    test('when an object reads a Secret key, then create-secrets.sh makes that Secret with that key', () => {
      const missing = secretReferences(objects)
        .filter(({ secret, key, optional }) => !optional && secrets.get(secret)?.[key] === undefined)
        .map(({ where, secret, key }) => `${where}: ${secret}/${key}`);
      assert.deepEqual(missing, []);
    });

    test("when a service's broker and database URLs are read, then they name its own user and role, with their Secret's password, on the operators' Services", () => {
      const broker = named(objects, 'RabbitmqCluster', 'rabbitmq');
      const database = ofKind(objects, 'Cluster')[0]!;
      assert.ok(broker);
      for (const service of serviceCatalog) {
        const rabbitmq = secrets.get(`shop-${service.name}-rabbitmq`)!;
        const amqp = new URL(rabbitmq.RABBITMQ_URL!);
        assert.equal(rabbitmq.username, `shop-${service.name}`, 'user <vhost>-<service>');
        assert.deepEqual(
          [amqp.protocol, amqp.username, amqp.password, amqp.hostname, amqp.port, amqp.pathname],
          ['amqp:', rabbitmq.username, rabbitmq.password, broker.metadata.name, '5672', '/shop'],
        );
        const postgres = secrets.get(`shop-${service.name}-postgres`)!;
        const url = new URL(postgres.DATABASE_URL!);
        assert.equal(postgres.username, service.database, 'role named as the database');
        assert.deepEqual(
          [url.protocol, url.username, url.password, url.hostname, url.port, url.pathname],
          ['postgres:', postgres.username, postgres.password, `${database.metadata.name}-rw`, '5432', `/${service.database}`],
        );
      }
      const passwords = [...secrets.values()].map((secret) => secret.password).filter(Boolean);
      assert.equal(new Set(passwords).size, passwords.length, 'every password its own');
    });

    test('when the database is rendered, then each service has a role, a database it owns, and may reach no other database', () => {
      const cluster = ofKind(objects, 'Cluster')[0]!;
      const roles = cluster.spec.managed.roles;
      const hba: string[] = cluster.spec.postgresql.pg_hba;
      for (const service of serviceCatalog) {
        const role = roles.find((candidate: any) => candidate.name === service.database);
        assert.ok(role?.login && !role.superuser && !role.createdb && !role.createrole, `role ${service.database}`);
        assert.equal(role.passwordSecret.name, `shop-${service.name}-postgres`);
        const databases = ofKind(objects, 'Database').filter((object) => object.spec.name === service.database);
        assert.equal(databases.length, 1, `Database ${service.database}`);
        assert.equal(databases[0]!.spec.owner, service.database);
        assert.equal(databases[0]!.spec.cluster.name, cluster.metadata.name);
        const allow = hba.indexOf(`host ${service.database} ${service.database} all scram-sha-256`);
        const reject = hba.indexOf(`host all ${service.database} all reject`);
        assert.ok(allow >= 0 && reject > allow, `pg_hba of ${service.database}: its own database, then nothing else`);
      }
      assert.equal(roles.length, serviceCatalog.length);
    });

    test('when the RabbitMQ topology is rendered, then it is infra/rabbitmq/definitions.json, entry by entry', () => {
      const definitions = JSON.parse(readRepoFile('infra/rabbitmq/definitions.json'));
      const clusterName = named(objects, 'RabbitmqCluster', 'rabbitmq')!.metadata.name;
      const topology = [...['Vhost', 'User', 'Permission', 'TopicPermission', 'Exchange'].flatMap((kind) => ofKind(objects, kind))];
      for (const object of topology) assert.equal(object.spec.rabbitmqClusterReference.name, clusterName, object.metadata.name);
      const sort = (rows: string[]) => [...rows].sort();
      assert.deepEqual(sort(ofKind(objects, 'Vhost').map((v) => v.spec.name)), sort(definitions.vhosts.map((v: any) => v.name)));
      assert.deepEqual(
        sort(ofKind(objects, 'User').map((u) => JSON.stringify([secrets.get(u.spec.importCredentialsSecret.name)?.username, u.spec.tags]))),
        sort(definitions.users.map((u: any) => JSON.stringify([u.name, u.tags]))),
      );
      assert.deepEqual(
        sort(
          ofKind(objects, 'Permission').map(({ spec: s }) =>
            JSON.stringify([s.user, s.vhost, s.permissions.configure, s.permissions.write, s.permissions.read]),
          ),
        ),
        sort(definitions.permissions.map((p: any) => JSON.stringify([p.user, p.vhost, p.configure, p.write, p.read]))),
      );
      assert.deepEqual(
        sort(
          ofKind(objects, 'TopicPermission').map(({ spec: s }) =>
            JSON.stringify([s.user, s.vhost, s.permissions.exchange, s.permissions.write, s.permissions.read]),
          ),
        ),
        sort(definitions.topic_permissions.map((p: any) => JSON.stringify([p.user, p.vhost, p.exchange, p.write, p.read]))),
      );
      assert.deepEqual(
        sort(ofKind(objects, 'Exchange').map(({ spec: s }) => JSON.stringify([s.name, s.vhost, s.type, s.durable, s.autoDelete]))),
        sort(definitions.exchanges.map((e: any) => JSON.stringify([e.name, e.vhost, e.type, e.durable, e.auto_delete]))),
      );
      assert.ok(definitions.exchanges.every((e: any) => e.internal === false && Object.keys(e.arguments).length === 0));
    });

    test('when a service is given an in-cluster address, then a rendered or operator-made Service answers on that port', () => {
      const services = new Map<string, number[]>(
        ofKind(objects, 'Service').map((service) => [service.metadata.name, service.spec.ports.map((port: any) => port.port)]),
      );
      // The Services the operators make: the collector's receivers, named <name>-collector.
      for (const collector of ofKind(objects, 'OpenTelemetryCollector')) {
        const protocols = collector.spec.config.receivers.otlp.protocols;
        const ports = Object.values(protocols).map((protocol: any) => Number(String(protocol.endpoint).split(':').pop()));
        services.set(`${collector.metadata.name}-collector`, ports);
        const exporter = Object.values(collector.spec.config.exporters)[0] as { endpoint: string };
        const [host, port] = exporter.endpoint.split(':');
        assert.ok(services.get(host!)?.includes(Number(port)), `the collector exports to ${exporter.endpoint}`);
      }
      for (const deployment of ofKind(objects, 'Deployment').filter(
        (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'service',
      ))
        for (const [name, source] of effectiveEnv(deployment.spec.template.spec.containers[0], objects)) {
          if (!('value' in source) || !/^[a-z]+:\/\//.test(source.value)) continue;
          const url = new URL(source.value);
          const port = Number(url.port || { 'http:': 80, 'https:': 443 }[url.protocol]);
          assert.ok(
            services.get(url.hostname)?.includes(port),
            `${deployment.metadata.name} ${name} ${source.value}: no Service answers there`,
          );
        }
    });
  });
}
