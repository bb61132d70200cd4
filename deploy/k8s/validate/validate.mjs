// Validates rendered manifests (`kubectl kustomize deploy/k8s`) offline:
//  - core Kubernetes kinds against the Kubernetes OpenAPI schemas, through kubernetes-models;
//  - Strimzi resources (no schema package is reachable here) for the fields the platform relies on;
//  - cross-references: Services select Pods that exist, envFrom/secretKeyRef point at generated objects,
//    every Deployment has probes on /q/health, resources and the Arrow --add-opens.
// Usage: node validate.mjs rendered.yaml
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as models from 'kubernetes-models';

const file = process.argv[2];
const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
const problems = [];
const where = (o) => `${o.kind}/${o.metadata?.name}`;

function modelFor(obj) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
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
      break;
    case 'KafkaNodePool':
      need(Number.isInteger(obj.spec?.replicas) && obj.spec.replicas > 0, 'replicas');
      need(obj.spec?.roles?.includes('controller') && obj.spec?.roles?.includes('broker'), 'roles');
      need(obj.metadata.labels?.['strimzi.io/cluster'], 'no strimzi.io/cluster label');
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

// Cross-references inside the rendering.
const names = (kind) => new Set(docs.filter((d) => d.kind === kind).map((d) => d.metadata.name));
const configMaps = names('ConfigMap');
const secrets = names('Secret');
const workloads = docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
for (const w of workloads) {
  for (const c of w.spec.template.spec.containers) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problems.push(`${where(w)}: envFrom ConfigMap ${from.configMapRef.name} is not in the rendering`);
      if (from.secretRef && !secrets.has(from.secretRef.name)) problems.push(`${where(w)}: envFrom Secret ${from.secretRef.name} is not in the rendering`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !secrets.has(ref.name)) problems.push(`${where(w)}: secret ${ref.name} (env ${e.name}) is not in the rendering`);
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

const kinds = docs.reduce((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {});
console.log(`${docs.length} objects: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`);
if (problems.length) {
  problems.forEach((p) => console.log(`FAIL ${p}`));
  process.exit(1);
}
console.log('ok: every object valid, every reference resolved');
