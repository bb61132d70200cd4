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

import { fileURLToPath } from 'node:url';

const where = (o) => `${o.kind}/${o.metadata?.name}`;
export const parseRendering = (text) => parseAllDocuments(text).map((d) => d.toJSON()).filter(Boolean);

// Every problem found in the rendered objects (empty: valid), and one line per TLS hop checked.
export function validate(docs) {
  const problems = [];

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

  // ---------------------------------------------------------------- TLS to ClickHouse and PostgreSQL
  // docs/security.md: both serve TLS only, with cert-manager certificates for their Service names; the sink and the
  // analyzer reach them by those names and check the certificate against the CA that signed it.
  const byKindName = (kind, name) => docs.find((d) => d.kind === kind && d.metadata?.name === name);
  const namespace = docs.find((d) => d.metadata?.namespace)?.metadata.namespace;
  const tlsSummary = [];

  // What a container's process sees in its environment: envFrom ConfigMaps first, then env (Secrets stay opaque).
  function effectiveEnv(c) {
    const env = {};
    for (const from of c.envFrom ?? []) {
      const cm = from.configMapRef && byKindName('ConfigMap', from.configMapRef.name);
      for (const [k, v] of Object.entries(cm?.data ?? {})) env[(from.prefix ?? '') + k] = { value: v };
    }
    for (const e of c.env ?? []) env[e.name] = e.value !== undefined ? { value: e.value } : { from: e.valueFrom };
    return env;
  }
  // The Secret or ConfigMap key behind a file path in a container, or { missing } saying why there is none.
  function fileAt(w, c, path) {
    const pod = w.spec.template.spec;
    for (const m of c.volumeMounts ?? []) {
      const v = (pod.volumes ?? []).find((x) => x.name === m.name);
      const src = v?.secret ? ['Secret', v.secret.secretName, v.secret] : v?.configMap ? ['ConfigMap', v.configMap.name, v.configMap] : null;
      if (!src) continue;
      const [kind, name, spec] = src;
      const dir = m.mountPath.replace(/\/$/, '');
      let rel;
      if (m.subPath) { if (path !== m.mountPath) continue; rel = m.subPath; } else if (path.startsWith(`${dir}/`)) rel = path.slice(dir.length + 1); else continue;
      const item = spec.items?.find((i) => i.path === rel);
      if (spec.items && !item) return { missing: `${path}: volume ${m.name} projects no ${rel}` };
      const key = item?.key ?? rel;
      const keys = (kind === 'Secret' ? secrets : configMaps).get(name);
      if (!keys) return { missing: `${path}: ${kind} ${name} is not in the rendering nor made by an operator` };
      if (!keys.has(key)) return { missing: `${path}: ${kind} ${name} holds no ${key}` };
      const text = kind === 'ConfigMap' ? byKindName('ConfigMap', name)?.data?.[key] : undefined;
      return { kind, name, key, mode: item?.mode ?? spec.defaultMode ?? 0o644, text };
    }
    return { missing: `${path}: no Secret or ConfigMap volume is mounted there` };
  }
  // The Secret of the CA a cert-manager Certificate chains to (a CA Issuer whose Secret is a CA Certificate).
  function caOf(cert) {
    const ref = cert.spec?.issuerRef ?? {};
    const issuer = ref.kind === 'Issuer' || ref.kind === undefined ? byKindName('Issuer', ref.name) : undefined;
    if (!issuer) { problems.push(`Certificate/${cert.metadata.name}: issuer ${ref.kind}/${ref.name} is not in the rendering`); return null; }
    if (cert.spec?.isCA && issuer.spec?.selfSigned) return cert.spec.secretName;
    const caSecret = issuer.spec?.ca?.secretName;
    if (!caSecret) { problems.push(`Issuer/${issuer.metadata.name}: not a CA issuer (it signs Certificate/${cert.metadata.name})`); return null; }
    const caCert = certificateOfSecret.get(caSecret);
    if (!caCert?.spec?.isCA) { problems.push(`Issuer/${issuer.metadata.name}: its Secret ${caSecret} is made by no Certificate with isCA: true`); return null; }
    return caOf(caCert) === caSecret ? caSecret : null;
  }
  // The CA Secret a client's trust file stands for: a cert-manager Secret's ca.crt, or a CA Certificate's own tls.crt.
  function trustOf(file) {
    const cert = file.kind === 'Secret' ? certificateOfSecret.get(file.name) : undefined;
    if (!cert) return null;
    if (file.key === 'ca.crt') return caOf(cert);
    if (file.key === 'tls.crt' && cert.spec?.isCA) return cert.spec.secretName;
    return null;
  }
  // A server's certificate: certificate and key files from one cert-manager Secret; its CA.
  function serverCertificate(w, c, certPath, keyPath, what) {
    const crt = certPath ? fileAt(w, c, certPath) : { missing: 'not set' };
    const key = keyPath ? fileAt(w, c, keyPath) : { missing: 'not set' };
    if (crt.missing || key.missing) {
      problems.push(`${where(w)}: ${what} certificate ${crt.missing ?? ''} ${key.missing ? `key ${key.missing}` : ''}`.trim());
      return null;
    }
    const cert = certificateOfSecret.get(crt.name);
    if (crt.kind !== 'Secret' || !cert || crt.key !== 'tls.crt' || key.name !== crt.name || key.key !== 'tls.key') {
      problems.push(`${where(w)}: ${what} certificate and key are not tls.crt and tls.key of one cert-manager Certificate's Secret`);
      return null;
    }
    return { cert, ca: caOf(cert), keyMode: key.mode };
  }
  // Services in front of a workload, and which container ports they reach.
  function servicesOf(w) {
    return docs.filter((s) => s.kind === 'Service' && Object.entries(s.spec.selector ?? {}).length
      && Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v));
  }
  function targetPort(w, port) {
    const ports = w.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
    const t = port.targetPort ?? port.port;
    return typeof t === 'number' ? t : ports.find((p) => p.name === t)?.containerPort;
  }
  // The server a client URL points at: the Service by its name (short or qualified) and the container port behind it.
  function serverBehind(host, port) {
    const svc = docs.find((s) => s.kind === 'Service' && [s.metadata.name, `${s.metadata.name}.${namespace}`,
      `${s.metadata.name}.${namespace}.svc`, `${s.metadata.name}.${namespace}.svc.cluster.local`].includes(host));
    if (!svc) return { missing: `host ${host} is no Service in the rendering` };
    const sp = (svc.spec.ports ?? []).find((p) => p.port === port);
    if (!sp) return { missing: `Service ${svc.metadata.name} has no port ${port}` };
    const w = workloads.find((x) => servicesOf(x).includes(svc));
    return w ? { svc, workload: w, containerPort: targetPort(w, sp) } : { missing: `Service ${svc.metadata.name} selects no workload` };
  }
  const names4 = (svc) => [svc, `${svc}.${namespace}.svc`];
  const servers = {};

  // ClickHouse: config.d must move it to HTTPS (and native TLS) and remove every plaintext port of the image.
  for (const w of workloads) {
    for (const c of w.spec.template.spec.containers.filter((x) => /clickhouse-server/.test(x.image ?? ''))) {
      const configs = (c.volumeMounts ?? []).filter((m) => m.mountPath.startsWith('/etc/clickhouse-server/config.d/'))
        .map((m) => fileAt(w, c, m.mountPath)).filter((f) => f.text !== undefined);
      const xml = configs.map((f) => f.text).join('\n');
      const tag = (name) => xml.match(new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`))?.[1];
      const httpsPort = Number(tag('https_port'));
      const tcpSecure = tag('tcp_port_secure') ? Number(tag('tcp_port_secure')) : undefined;
      if (!httpsPort) problems.push(`${where(w)}: ClickHouse has no https_port (no config.d file from a ConfigMap sets it)`);
      for (const plain of ['http_port', 'tcp_port', 'mysql_port', 'postgresql_port', 'interserver_http_port']) {
        if (!new RegExp(`<${plain}\\s+remove="[^"]+"\\s*/>`).test(xml) || tag(plain) !== undefined) {
          problems.push(`${where(w)}: ClickHouse still serves the plaintext ${plain} (config.d must have <${plain} remove="1"/>)`);
        }
      }
      const disabled = (tag('disableProtocols') ?? '').split(',').map((x) => x.trim());
      if (!['sslv2', 'sslv3', 'tlsv1', 'tlsv1_1'].every((p) => disabled.includes(p))) problems.push(`${where(w)}: ClickHouse's openSSL server allows protocols older than TLS 1.2`);
      const server = serverCertificate(w, c, tag('certificateFile'), tag('privateKeyFile'), 'ClickHouse');
      const tlsPorts = [httpsPort, tcpSecure].filter(Boolean);
      for (const p of c.ports ?? []) if (!tlsPorts.includes(p.containerPort)) problems.push(`${where(w)}: container port ${p.containerPort} is not one of ClickHouse's TLS ports ${tlsPorts.join(', ')}`);
      for (const probe of [c.readinessProbe, c.livenessProbe].filter((x) => x?.httpGet)) {
        if (probe.httpGet.scheme !== 'HTTPS') problems.push(`${where(w)}: ClickHouse probe on ${probe.httpGet.path} is not HTTPS`);
      }
      for (const svc of servicesOf(w)) {
        for (const p of svc.spec.ports ?? []) {
          if (!tlsPorts.includes(targetPort(w, p))) problems.push(`Service/${svc.metadata.name}: port ${p.port} reaches ${targetPort(w, p)}, not a TLS port of ClickHouse`);
        }
        if (server && !names4(svc.metadata.name).every((n) => server.cert.spec?.dnsNames?.includes(n))) {
          problems.push(`Certificate/${server.cert.metadata.name}: dnsNames lack ${names4(svc.metadata.name).join(' or ')}`);
        }
      }
      servers[w.metadata.name] = { kind: 'clickhouse', httpsPort, server };
      tlsSummary.push(`${where(w)} HTTPS ${httpsPort}${tcpSecure ? ` + native TLS ${tcpSecure}` : ''}, plaintext ports removed, certificate ${server?.cert.metadata.name ?? '?'}`);
    }
  }

  // PostgreSQL: ssl = on with a cert-manager certificate, and a pg_hba.conf that takes TCP only as hostssl + scram-sha-256.
  const HBA_METHODS = ['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'sspi', 'ident', 'peer', 'ldap', 'radius', 'cert', 'pam', 'bsd'];
  for (const w of workloads) {
    for (const c of w.spec.template.spec.containers.filter((x) => /(^|\/)postgres(ql)?:/.test(x.image ?? ''))) {
      const settings = {};
      const args = [...(c.command ?? []), ...(c.args ?? [])];
      args.forEach((a, i) => { if (a === '-c' && args[i + 1]?.includes('=')) { const [k, ...v] = args[i + 1].split('='); settings[k.trim()] = v.join('=').trim(); } });
      if (!['on', 'true', '1'].includes(settings.ssl)) problems.push(`${where(w)}: PostgreSQL runs without ssl=on`);
      if (!['TLSv1.2', 'TLSv1.3'].includes(settings.ssl_min_protocol_version)) problems.push(`${where(w)}: PostgreSQL's ssl_min_protocol_version is not TLSv1.2 or TLSv1.3`);
      const server = serverCertificate(w, c, settings.ssl_cert_file, settings.ssl_key_file, 'PostgreSQL');
      // PostgreSQL refuses a key that its group may write or others may read (root-owned: 0640 at most).
      if (server && (server.keyMode & 0o037) !== 0) problems.push(`${where(w)}: PostgreSQL's key file mode ${server.keyMode.toString(8)} is more than 0640: the server refuses it`);
      if (server && w.spec.template.spec.securityContext?.fsGroup === undefined) problems.push(`${where(w)}: no fsGroup: the server cannot read its key (owned by root, mode 0640)`);
      const hba = settings.hba_file ? fileAt(w, c, settings.hba_file) : { missing: 'hba_file is not set (the image\'s own pg_hba.conf takes plaintext TCP)' };
      if (hba.missing || hba.text === undefined) problems.push(`${where(w)}: pg_hba.conf ${hba.missing ?? 'is not from a ConfigMap'}`);
      else {
        let hostssl = 0;
        for (const line of hba.text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)) {
          const tokens = line.split(/\s+/);
          const method = tokens.slice(3).find((t) => HBA_METHODS.includes(t));
          if (tokens[0] === 'local') { if (method === 'trust') problems.push(`${where(w)}: pg_hba.conf trusts local connections: ${line}`); continue; }
          if (method === 'reject') continue;
          if (tokens[0] !== 'hostssl') problems.push(`${where(w)}: pg_hba.conf accepts connections without TLS: ${line}`);
          else if (method !== 'scram-sha-256') problems.push(`${where(w)}: pg_hba.conf hostssl line without scram-sha-256: ${line}`);
          else hostssl += 1;
        }
        if (hostssl === 0) problems.push(`${where(w)}: pg_hba.conf has no hostssl ... scram-sha-256 line`);
      }
      for (const svc of servicesOf(w)) {
        if (server && !names4(svc.metadata.name).every((n) => server.cert.spec?.dnsNames?.includes(n))) {
          problems.push(`Certificate/${server.cert.metadata.name}: dnsNames lack ${names4(svc.metadata.name).join(' or ')}`);
        }
      }
      servers[w.metadata.name] = { kind: 'postgres', server };
      tlsSummary.push(`${where(w)} ssl=on ${settings.ssl_min_protocol_version}+, pg_hba hostssl scram-sha-256 only, certificate ${server?.cert.metadata.name ?? '?'}`);
    }
  }

  // A client's URL: TLS scheme, a Service whose server is the expected kind, a name in its certificate, the CA trusted.
  function checkClient(d, what, url, scheme, kind, caPath, c) {
    if (!url) { problems.push(`${where(d)}: ${what} URL is not set in the manifest (the built-in default is a plaintext local one)`); return; }
    let parsed;
    try { parsed = new URL(url); } catch { problems.push(`${where(d)}: ${what} URL ${url} does not parse`); return; }
    if (parsed.protocol !== `${scheme}:`) { problems.push(`${where(d)}: ${what} URL ${url} is not ${scheme}://`); return; }
    if (/sslmode=(disable|allow|prefer|require)/i.test(parsed.search)) problems.push(`${where(d)}: ${what} URL ${url} weakens sslmode`);
    const target = serverBehind(parsed.hostname, Number(parsed.port || (scheme === 'https' ? 443 : 5432)));
    if (target.missing) { problems.push(`${where(d)}: ${what} URL ${url}: ${target.missing}`); return; }
    const server = servers[target.workload.metadata.name];
    if (server?.kind !== kind) { problems.push(`${where(d)}: ${what} URL ${url} reaches ${where(target.workload)}, not a TLS ${kind} server`); return; }
    if (kind === 'clickhouse' && target.containerPort !== server.httpsPort) problems.push(`${where(d)}: ${what} URL ${url} reaches port ${target.containerPort}, not ClickHouse's https_port ${server.httpsPort}`);
    if (server.server && !(server.server.cert.spec?.dnsNames ?? []).includes(parsed.hostname)) {
      problems.push(`${where(d)}: ${what} host ${parsed.hostname} is not in Certificate/${server.server.cert.metadata.name}'s dnsNames (host name verification fails)`);
    }
    if (!caPath) { problems.push(`${where(d)}: no CA file for ${what} (the JVM's default trust store would not know the CA)`); return; }
    const file = fileAt(d, c, caPath);
    if (file.missing) { problems.push(`${where(d)}: ${what} CA ${file.missing}`); return; }
    const trusted = trustOf(file);
    if (!trusted || trusted !== server.server?.ca) problems.push(`${where(d)}: ${what} CA file ${caPath} (${file.kind} ${file.name} ${file.key}) is not the CA of ${server.server?.cert.metadata.name ?? 'the server'}'s certificate`);
    else tlsSummary.push(`${where(d)} ${url}, CA ${file.name}/${file.key}`);
  }
  const valueOf = (env, ...names) => names.map((n) => env[n]).find((e) => e)?.value;
  for (const d of docs.filter((x) => x.kind === 'Deployment')) {
    const c = d.spec.template.spec.containers[0];
    const env = effectiveEnv(c);
    const service = (d.metadata.labels?.['app.kubernetes.io/name'] ?? d.metadata.name).replace(/^streaming-arrow-/, '');
    for (const [name, e] of Object.entries(env)) {
      if (/^http:\/\/[^/]*clickhouse|:8123\b|sslmode=disable/i.test(e.value ?? '')) problems.push(`${where(d)}: ${name}=${e.value} is a plaintext address`);
    }
    if (service === 'sink') {
      checkClient(d, 'ClickHouse', valueOf(env, 'SINK_CLICKHOUSE_URL', 'CLICKHOUSE_URL'), 'https', 'clickhouse', valueOf(env, 'SINK_CLICKHOUSE_CA_CERT'), c);
    }
    if (service === 'analyzer') {
      if (valueOf(env, 'QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE') !== 'verify-full') problems.push(`${where(d)}: the PostgreSQL ssl-mode is not verify-full`);
      if (valueOf(env, 'QUARKUS_DATASOURCE_REACTIVE_HOSTNAME_VERIFICATION_ALGORITHM') !== 'HTTPS') problems.push(`${where(d)}: no HTTPS host name verification for PostgreSQL (the reactive client refuses verify-full without it)`);
      if (valueOf(env, 'QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM') !== 'true') problems.push(`${where(d)}: PostgreSQL trust is not from a PEM file`);
      checkClient(d, 'PostgreSQL', valueOf(env, 'QUARKUS_DATASOURCE_REACTIVE_URL', 'POSTGRES_URL'), 'postgresql', 'postgres',
        valueOf(env, 'QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS'), c);
    }
  }
  for (const name of ['clickhouse', 'postgres']) {
    if (!Object.values(servers).some((s) => s.kind === name)) problems.push(`no ${name} server found in the rendering`);
  }
  for (const cert of certificates) if (!cert.spec?.isCA) caOf(cert);

  return { problems, tlsSummary };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const docs = parseRendering(fs.readFileSync(process.argv[2], 'utf8'));
  const { problems, tlsSummary } = validate(docs);
  const kinds = docs.reduce((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {});
  console.log(`${docs.length} objects: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (problems.length) {
    problems.forEach((p) => console.log(`FAIL ${p}`));
    process.exit(1);
  }
  tlsSummary.forEach((line) => console.log(`tls: ${line}`));
  console.log('ok: every object valid, every reference resolved, TLS on every hop');
}
