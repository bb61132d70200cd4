// Validates rendered manifests (`kubectl kustomize deploy/k8s`) offline:
//  - core Kubernetes kinds against the Kubernetes OpenAPI schemas, through kubernetes-models;
//  - cert-manager resources against their CRD schemas (@kubernetes-models/cert-manager);
//  - Strimzi resources (no schema package is reachable here) for the fields the platform relies on;
//  - cross-references: Services select Pods that exist, envFrom/secretKeyRef point at generated objects,
//    every Deployment has probes on /q/health, resources and the Arrow --add-opens;
//  - every volume a container mounts exists, every Secret/ConfigMap a volume or variable names is in the
//    rendering or made by an operator (Strimzi, cert-manager), with the keys it takes;
//  - TLS on every hop (docs/security.md): Kafka listeners, ClickHouse and PostgreSQL serving TLS only with
//    cert-manager certificates for their Service names, the sink and analyzer checking them against the CA.
// Usage: node validate.mjs rendered.yaml
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as models from 'kubernetes-models';
import * as certManager from '@kubernetes-models/cert-manager';

const file = process.argv[2];
const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
const problems = [];
const where = (o) => `${o.kind}/${o.metadata?.name}`;

function modelFor(obj) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  if (group === 'cert-manager.io') {
    const Model = certManager.certManagerIo[version]?.[obj.kind];
    return typeof Model === 'function' ? Model : null;
  }
  const path = group === '' ? [version, obj.kind] : [group, version, obj.kind];
  let node = models;
  for (const key of path) node = node?.[key];
  return typeof node === 'function' ? node : null;
}

function checkStrimzi(obj) {
  const need = (cond, what) => { if (!cond) problems.push(`${where(obj)}: ${what}`); };
  need(obj.apiVersion === 'kafka.strimzi.io/v1beta2', `unexpected apiVersion ${obj.apiVersion}`);
  switch (obj.kind) {
    case 'Kafka':
      need(obj.metadata.annotations?.['strimzi.io/kraft'] === 'enabled', 'KRaft not enabled');
      need(obj.metadata.annotations?.['strimzi.io/node-pools'] === 'enabled', 'node pools not enabled');
      need(Array.isArray(obj.spec?.kafka?.listeners) && obj.spec.kafka.listeners.length > 0, 'no listeners');
      // Every hop authenticated and encrypted (docs/security.md): no plaintext or anonymous listener.
      for (const l of obj.spec?.kafka?.listeners ?? []) {
        need(l.tls === true, `listener ${l.name} is not TLS`);
        need(l.authentication?.type === 'scram-sha-512', `listener ${l.name} does not require SCRAM-SHA-512`);
      }
      need(obj.spec?.kafka?.authorization?.type === 'simple', 'no simple authorization (ACLs)');
      need(obj.spec?.entityOperator?.userOperator !== undefined, 'no User Operator (the KafkaUsers would stay without credentials)');
      break;
    case 'KafkaNodePool':
      need(Number.isInteger(obj.spec?.replicas) && obj.spec.replicas > 0, 'replicas');
      need(obj.spec?.roles?.includes('controller') && obj.spec?.roles?.includes('broker'), 'roles');
      need(obj.metadata.labels?.['strimzi.io/cluster'], 'no strimzi.io/cluster label');
      break;
    case 'KafkaUser':
      need(obj.metadata.labels?.['strimzi.io/cluster'], 'no strimzi.io/cluster label');
      need(obj.spec?.authentication?.type === 'scram-sha-512', 'authentication is not scram-sha-512');
      need(obj.spec?.authorization?.type === 'simple', 'authorization is not simple');
      for (const acl of obj.spec?.authorization?.acls ?? []) {
        need(['topic', 'group', 'cluster', 'transactionalId'].includes(acl.resource?.type), `ACL resource type ${acl.resource?.type}`);
        need(acl.resource?.patternType === 'literal', `ACL on ${acl.resource?.name} is not literal (least privilege)`);
        need(Array.isArray(acl.operations) && acl.operations.length > 0, `ACL on ${acl.resource?.name} has no operations`);
        need(!acl.operations?.includes('All'), `ACL on ${acl.resource?.name} grants All`);
      }
      break;
    case 'KafkaTopic':
      need(obj.metadata.labels?.['strimzi.io/cluster'], 'no strimzi.io/cluster label');
      need(typeof obj.spec?.topicName === 'string', 'no topicName');
      need(Number.isInteger(obj.spec?.partitions) && obj.spec.partitions > 0, 'partitions');
      break;
    default:
      problems.push(`${where(obj)}: unknown Strimzi kind`);
  }
}

for (const obj of docs) {
  if (obj.apiVersion?.startsWith('kafka.strimzi.io/')) {
    checkStrimzi(obj);
    continue;
  }
  const Model = modelFor(obj);
  if (!Model) {
    problems.push(`${where(obj)}: ${obj.apiVersion} ${obj.kind} has no schema here (would need its CRD on a cluster)`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push(`${where(obj)}: ${e.message}`);
  }
}

// Cross-references inside the rendering. Secrets and ConfigMaps by name, with the keys they hold.
const names = (kind) => new Set(docs.filter((d) => d.kind === kind).map((d) => d.metadata.name));
const keysOf = (o) => new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {}), ...Object.keys(o.binaryData ?? {})]);
const configMaps = new Map(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, keysOf(d)]));
const secrets = new Map(docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, keysOf(d)]));
// Secrets Strimzi makes on the cluster: one per KafkaUser (its credentials), and the cluster CA certificate.
for (const user of names('KafkaUser')) secrets.set(user, new Set(['password', 'sasl.jaas.config']));
for (const kafka of names('Kafka')) secrets.set(`${kafka}-cluster-ca-cert`, new Set(['ca.crt', 'ca.p12', 'ca.password']));
// Secrets cert-manager makes: one per Certificate (its secretName), with the certificate, key and issuing CA.
const certificates = docs.filter((d) => d.kind === 'Certificate' && d.apiVersion?.startsWith('cert-manager.io/'));
const certificateOfSecret = new Map(certificates.map((c) => [c.spec?.secretName, c]));
for (const c of certificates) secrets.set(c.spec?.secretName, new Set(['tls.crt', 'tls.key', 'ca.crt']));
const workloads = docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
// A key a container reads: from a Secret or ConfigMap that exists and holds it.
function checkKey(w, kind, name, key, what) {
  const map = kind === 'Secret' ? secrets : configMaps;
  if (!map.has(name)) problems.push(`${where(w)}: ${kind} ${name} (${what}) is not in the rendering nor made by an operator`);
  else if (key !== undefined && !map.get(name).has(key)) problems.push(`${where(w)}: ${kind} ${name} has no key ${key} (${what})`);
}
for (const w of workloads) {
  const pod = w.spec.template.spec;
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const claim of w.spec.volumeClaimTemplates ?? []) volumes.set(claim.metadata.name, { persistentVolumeClaim: {} });
  for (const v of pod.volumes ?? []) {
    const source = v.secret ? ['Secret', v.secret.secretName, v.secret] : v.configMap ? ['ConfigMap', v.configMap.name, v.configMap] : null;
    if (!source) continue;
    const [kind, name, spec] = source;
    checkKey(w, kind, name, undefined, `volume ${v.name}`);
    for (const item of spec.items ?? []) checkKey(w, kind, name, item.key, `volume ${v.name}`);
  }
  for (const c of pod.containers) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) checkKey(w, 'ConfigMap', from.configMapRef.name, undefined, 'envFrom');
      if (from.secretRef) checkKey(w, 'Secret', from.secretRef.name, undefined, 'envFrom');
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (ref) checkKey(w, e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name, ref.key, `env ${e.name}`);
    }
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (!v) { problems.push(`${where(w)}: container ${c.name} mounts volume ${m.name}, which the Pod does not have`); continue; }
      const items = (v.secret ?? v.configMap)?.items;
      if (m.subPath && items && !items.some((i) => i.path === m.subPath)) problems.push(`${where(w)}: mount ${m.mountPath} takes ${m.subPath}, which volume ${m.name} does not project`);
      if (m.subPath && !items && v.configMap && configMaps.has(v.configMap.name) && !configMaps.get(v.configMap.name).has(m.subPath)) {
        problems.push(`${where(w)}: mount ${m.mountPath} takes ${m.subPath}, which ConfigMap ${v.configMap.name} does not hold`);
      }
    }
    if (!c.resources?.limits?.memory) problems.push(`${where(w)}: container ${c.name} has no memory limit`);
  }
  if (w.kind === 'Deployment') {
    const c = w.spec.template.spec.containers[0];
    if (c.readinessProbe?.httpGet?.path !== '/q/health/ready') problems.push(`${where(w)}: readiness probe is not /q/health/ready`);
    if (c.livenessProbe?.httpGet?.path !== '/q/health/live') problems.push(`${where(w)}: liveness probe is not /q/health/live`);
    const jdk = (c.env ?? []).find((e) => e.name === 'JDK_JAVA_OPTIONS')?.value ?? '';
    if (!jdk.includes('--add-opens=java.base/java.nio=ALL-UNNAMED')) problems.push(`${where(w)}: JDK_JAVA_OPTIONS lacks Arrow's --add-opens`);
    if (w.spec.template.metadata.annotations?.['prometheus.io/scrape'] !== 'true') problems.push(`${where(w)}: no Prometheus scrape annotation`);
  }
}
for (const s of docs.filter((d) => d.kind === 'Service')) {
  const selector = s.spec.selector ?? {};
  const matched = workloads.some((w) => Object.entries(selector).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v));
  if (!matched) problems.push(`${where(s)}: selects no Pod template in the rendering`);
}

// Least privilege on Kafka (docs/security.md): each service's KafkaUser grants exactly this, and each service
// authenticates as its own user over SASL_SSL; the producer's /ingest token comes from a Secret.
const expectedAcls = {
  'streaming-arrow-producer': ['topic arrow_tables Describe,Write'],
  'streaming-arrow-sink': ['group sink Read', 'topic arrow_tables Describe,Read', 'topic arrow_tables_dlq Describe,Write'],
  'streaming-arrow-analyzer': ['group analyzer Read', 'topic alerts Describe,Write', 'topic arrow_aggregates Describe,Write',
    'topic arrow_tables Describe,Read', 'topic arrow_tables_dlq Describe,Write'],
};
const users = Object.fromEntries(docs.filter((d) => d.kind === 'KafkaUser').map((u) => [u.metadata.name, u]));
for (const [name, expected] of Object.entries(expectedAcls)) {
  const user = users[name];
  if (!user) { problems.push(`KafkaUser/${name}: missing`); continue; }
  const got = (user.spec.authorization?.acls ?? [])
    .map((a) => `${a.resource.type} ${a.resource.name} ${[...a.operations].sort().join(',')}`).sort();
  if (JSON.stringify(got) !== JSON.stringify([...expected].sort())) {
    problems.push(`KafkaUser/${name}: ACLs ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }
}
for (const extra of Object.keys(users).filter((n) => !(n in expectedAcls))) problems.push(`KafkaUser/${extra}: not expected`);
const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('streaming-arrow-config'));
if (config?.data?.KAFKA_SECURITY_PROTOCOL !== 'SASL_SSL') problems.push(`ConfigMap/${config?.metadata?.name}: KAFKA_SECURITY_PROTOCOL is not SASL_SSL`);
if (config?.data?.KAFKA_SASL_MECHANISM !== 'SCRAM-SHA-512') problems.push(`ConfigMap/${config?.metadata?.name}: KAFKA_SASL_MECHANISM is not SCRAM-SHA-512`);
for (const d of docs.filter((x) => x.kind === 'Deployment')) {
  const app = d.metadata.labels?.['app.kubernetes.io/name'] ?? d.metadata.name;
  const service = app.replace(/^streaming-arrow-/, '');
  const env = Object.fromEntries((d.spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e]));
  const jaas = env.KAFKA_SASL_JAAS_CONFIG?.valueFrom?.secretKeyRef;
  if (jaas?.name !== `streaming-arrow-${service}` || jaas?.key !== 'sasl.jaas.config') {
    problems.push(`${where(d)}: KAFKA_SASL_JAAS_CONFIG is not the sasl.jaas.config of KafkaUser streaming-arrow-${service}`);
  }
  const ca = env.KAFKA_SSL_TRUSTSTORE_CERTIFICATES?.valueFrom?.secretKeyRef;
  if (!ca?.name?.endsWith('-cluster-ca-cert') || ca?.key !== 'ca.crt') problems.push(`${where(d)}: the cluster CA is not the truststore`);
  if (service === 'producer') {
    const token = env.PRODUCER_INGEST_TOKEN?.valueFrom?.secretKeyRef;
    if (!token || !token.name.startsWith('streaming-arrow-ingest')) problems.push(`${where(d)}: PRODUCER_INGEST_TOKEN does not come from the ingest Secret`);
  }
}

const kinds = docs.reduce((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {});
console.log(`${docs.length} objects: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`);
if (problems.length) {
  problems.forEach((p) => console.log(`FAIL ${p}`));
  process.exit(1);
}
console.log('ok: every object valid, every reference resolved');
