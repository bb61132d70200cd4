// Proves that validate.mjs catches what it is meant to: each case below breaks one thing in a copy of the real
// rendering (TLS on ClickHouse or PostgreSQL lost, a client on a plaintext URL or without its CA, a Secret,
// volume or certificate that does not exist), and validate.mjs must exit non-zero with the expected message.
// Each broken copy goes through YAML text and back, as a rendering would.
// Usage: node selftest.mjs rendered.yaml   (check.sh runs it after validating the rendering itself)
import fs from 'node:fs';
import { stringify } from 'yaml';
import { parseRendering, validate } from './validate.mjs';

const original = parseRendering(fs.readFileSync(process.argv[2], 'utf8'));
const find = (docs, kind, name) => docs.find((d) => d.kind === kind && (typeof name === 'function' ? name(d.metadata.name) : d.metadata.name === name));
const container = (docs, kind, name) => find(docs, kind, name).spec.template.spec.containers[0];
const env = (docs, deployment, name) => container(docs, 'Deployment', deployment).env.find((e) => e.name === name);
const chConfig = (docs) => find(docs, 'ConfigMap', 'clickhouse-config').data;
const pgArgs = (docs) => container(docs, 'StatefulSet', 'postgres').args;
const setPgArg = (docs, key, value) => { const a = pgArgs(docs); const i = a.findIndex((x) => x.startsWith(`${key}=`)); a[i] = `${key}=${value}`; };
const config = (docs) => find(docs, 'ConfigMap', (n) => n.startsWith('streaming-arrow-config')).data;
const SINK = 'streaming-arrow-sink';
const ANALYZER = 'streaming-arrow-analyzer';

// [name, what it breaks, expected message (a regular expression), mutation]
const cases = [
  ['clickhouse-http-port-back', 'ClickHouse config.d keeps the image\'s plaintext HTTP port', /still serves the plaintext http_port/,
    (d) => { chConfig(d)['tls.xml'] = chConfig(d)['tls.xml'].replace('<http_port remove="1"/>', ''); }],
  ['clickhouse-native-port-back', 'ClickHouse config.d sets the plaintext native port', /still serves the plaintext tcp_port/,
    (d) => { chConfig(d)['tls.xml'] = chConfig(d)['tls.xml'].replace('<tcp_port remove="1"/>', '<tcp_port>9000</tcp_port>'); }],
  ['clickhouse-no-https', 'ClickHouse without its config.d file (no https_port)', /has no https_port/,
    (d) => { const c = container(d, 'StatefulSet', 'clickhouse'); c.volumeMounts = c.volumeMounts.filter((m) => !m.mountPath.includes('config.d')); }],
  ['clickhouse-old-tls', 'ClickHouse accepts TLS 1.0/1.1', /older than TLS 1.2/,
    (d) => { chConfig(d)['tls.xml'] = chConfig(d)['tls.xml'].replace('sslv2,sslv3,tlsv1,tlsv1_1', 'sslv2,sslv3'); }],
  ['clickhouse-service-plaintext', 'the ClickHouse Service exposes 8123', /port 8123 reaches 8123, not a TLS port/,
    (d) => { find(d, 'Service', 'clickhouse').spec.ports.push({ name: 'http', port: 8123, targetPort: 8123 }); }],
  ['clickhouse-container-plaintext', 'the ClickHouse container declares 8123', /container port 8123 is not one of ClickHouse's TLS ports/,
    (d) => { container(d, 'StatefulSet', 'clickhouse').ports.push({ name: 'http', containerPort: 8123 }); }],
  ['clickhouse-probe-http', 'ClickHouse readiness probe over HTTP', /probe on \/ping is not HTTPS/,
    (d) => { delete container(d, 'StatefulSet', 'clickhouse').readinessProbe.httpGet.scheme; }],
  ['clickhouse-cert-secret-missing', 'ClickHouse mounts a Secret nobody makes', /Secret clickhouse-tls-typo .*is not in the rendering/,
    (d) => { find(d, 'StatefulSet', 'clickhouse').spec.template.spec.volumes.find((v) => v.name === 'tls').secret.secretName = 'clickhouse-tls-typo'; }],
  ['clickhouse-key-not-mounted', 'ClickHouse\'s key file is not projected', /ClickHouse certificate .*key .*projects no tls.key/,
    (d) => { const v = find(d, 'StatefulSet', 'clickhouse').spec.template.spec.volumes.find((x) => x.name === 'tls'); v.secret.items = v.secret.items.filter((i) => i.key !== 'tls.key'); }],
  ['clickhouse-certificate-gone', 'no Certificate makes clickhouse-tls', /Secret clickhouse-tls .*is not in the rendering/,
    (d) => { d.splice(d.indexOf(find(d, 'Certificate', 'clickhouse-tls')), 1); }],
  ['clickhouse-cert-wrong-names', 'ClickHouse\'s certificate lacks the Service name', /host clickhouse is not in Certificate\/clickhouse-tls's dnsNames/,
    (d) => { find(d, 'Certificate', 'clickhouse-tls').spec.dnsNames = ['clickhouse.example.com']; }],
  ['postgres-ssl-off', 'PostgreSQL with ssl=off', /PostgreSQL runs without ssl=on/, (d) => setPgArg(d, 'ssl', 'off')],
  ['postgres-old-tls', 'PostgreSQL accepts TLS 1.0', /ssl_min_protocol_version is not TLSv1.2/, (d) => setPgArg(d, 'ssl_min_protocol_version', 'TLSv1')],
  ['postgres-hba-plaintext', 'pg_hba.conf with a plaintext host line', /accepts connections without TLS: host all all 0.0.0.0\/0 scram-sha-256/,
    (d) => { const cm = find(d, 'ConfigMap', 'postgres-config'); cm.data['pg_hba.conf'] += 'host all all 0.0.0.0/0 scram-sha-256\n'; }],
  ['postgres-hba-md5', 'pg_hba.conf hostssl with md5', /hostssl line without scram-sha-256/,
    (d) => { const cm = find(d, 'ConfigMap', 'postgres-config'); cm.data['pg_hba.conf'] = cm.data['pg_hba.conf'].replace(/(hostssl\s+all all 0\.0\.0\.0\/0\s+)scram-sha-256/, '$1md5'); }],
  ['postgres-image-hba', 'PostgreSQL on the image\'s own pg_hba.conf', /hba_file is not set/,
    (d) => { const c = container(d, 'StatefulSet', 'postgres'); const i = c.args.findIndex((a) => a.startsWith('hba_file=')); c.args.splice(i - 1, 2); }],
  ['postgres-key-mode', 'PostgreSQL\'s key readable by everyone', /key file mode 644 is more than 0640/,
    (d) => { find(d, 'StatefulSet', 'postgres').spec.template.spec.volumes.find((v) => v.name === 'tls').secret.defaultMode = 0o644; }],
  ['postgres-no-fsgroup', 'PostgreSQL cannot read its key', /no fsGroup/,
    (d) => { delete find(d, 'StatefulSet', 'postgres').spec.template.spec.securityContext; }],
  ['postgres-hba-configmap-missing', 'pg_hba.conf from a ConfigMap nobody makes', /ConfigMap postgres-config-typo .*is not in the rendering/,
    (d) => { find(d, 'StatefulSet', 'postgres').spec.template.spec.volumes.find((v) => v.name === 'hba').configMap.name = 'postgres-config-typo'; }],
  ['ca-issuer-gone', 'the CA Issuer does not exist', /issuer Issuer\/streaming-arrow-ca is not in the rendering/,
    (d) => { d.splice(d.indexOf(find(d, 'Issuer', 'streaming-arrow-ca')), 1); }],
  ['ca-not-ca', 'the CA Certificate is no CA', /made by no Certificate with isCA: true/,
    (d) => { delete find(d, 'Certificate', 'streaming-arrow-ca').spec.isCA; }],
  ['sink-plaintext-url', 'the sink on http://clickhouse:8123', /CLICKHOUSE_URL=http:\/\/clickhouse:8123 is a plaintext address/,
    (d) => { config(d).CLICKHOUSE_URL = 'http://clickhouse:8123'; }],
  ['sink-url-env-override', 'the sink\'s own variable overrides the ConfigMap with plaintext', /URL http:\/\/clickhouse:8443 is not https:\/\//,
    (d) => { container(d, 'Deployment', SINK).env.push({ name: 'SINK_CLICKHOUSE_URL', value: 'http://clickhouse:8443' }); }],
  ['sink-url-not-a-service', 'the sink on a host that is no Service', /host clickhouse-old is no Service/,
    (d) => { config(d).CLICKHOUSE_URL = 'https://clickhouse-old:8443'; }],
  ['sink-no-ca', 'the sink without sink.clickhouse.ca-cert', /no CA file for ClickHouse/,
    (d) => { const c = container(d, 'Deployment', SINK); c.env = c.env.filter((e) => e.name !== 'SINK_CLICKHOUSE_CA_CERT'); }],
  ['sink-ca-path-unmounted', 'the sink\'s CA path where nothing is mounted', /no Secret or ConfigMap volume is mounted there/,
    (d) => { env(d, SINK, 'SINK_CLICKHOUSE_CA_CERT').value = '/etc/ssl/ca.crt'; }],
  ['sink-ca-volume-missing', 'the sink mounts a volume the Pod lacks', /mounts volume clickhouse-ca, which the Pod does not have/,
    (d) => { find(d, 'Deployment', SINK).spec.template.spec.volumes = []; }],
  ['sink-ca-wrong-secret', 'the sink trusts the Kafka cluster CA for ClickHouse', /is not the CA of clickhouse-tls's certificate/,
    (d) => { find(d, 'Deployment', SINK).spec.template.spec.volumes.find((v) => v.name === 'clickhouse-ca').secret.secretName = 'streaming-arrow-cluster-ca-cert'; }],
  ['analyzer-ssl-mode-require', 'the analyzer with ssl-mode=require', /ssl-mode is not verify-full/,
    (d) => { env(d, ANALYZER, 'QUARKUS_DATASOURCE_REACTIVE_POSTGRESQL_SSL_MODE').value = 'require'; }],
  ['analyzer-no-hostname-check', 'the analyzer without host name verification', /no HTTPS host name verification/,
    (d) => { const c = container(d, 'Deployment', ANALYZER); c.env = c.env.filter((e) => e.name !== 'QUARKUS_DATASOURCE_REACTIVE_HOSTNAME_VERIFICATION_ALGORITHM'); }],
  ['analyzer-url-sslmode-disable', 'the analyzer URL with sslmode=disable', /sslmode=disable is a plaintext address/,
    (d) => { config(d).POSTGRES_URL = 'postgresql://postgres:5432/streaming_arrow?sslmode=disable'; }],
  ['analyzer-host-not-in-cert', 'the analyzer on a name the certificate lacks', /host postgres.streaming-arrow is not in Certificate\/postgres-tls's dnsNames/,
    (d) => { config(d).POSTGRES_URL = 'postgresql://postgres.streaming-arrow:5432/streaming_arrow'; find(d, 'Certificate', 'postgres-tls').spec.dnsNames = find(d, 'Certificate', 'postgres-tls').spec.dnsNames.filter((n) => n !== 'postgres.streaming-arrow'); }],
  ['analyzer-ca-secret-missing', 'the analyzer mounts its CA from a Secret nobody makes', /Secret postgres-ca-typo .*is not in the rendering/,
    (d) => { find(d, 'Deployment', ANALYZER).spec.template.spec.volumes.find((v) => v.name === 'postgres-ca').secret.secretName = 'postgres-ca-typo'; }],
  ['analyzer-ca-not-projected', 'the analyzer\'s CA path names a file the volume does not project', /volume postgres-ca projects no root.crt/,
    (d) => { env(d, ANALYZER, 'QUARKUS_DATASOURCE_REACTIVE_TRUST_CERTIFICATE_PEM_CERTS').value = '/etc/streaming-arrow/postgres-ca/root.crt'; }],
  ['certificate-schema', 'a Certificate that cert-manager\'s schema refuses', /Certificate\/postgres-tls: .*dnsNames/,
    (d) => { find(d, 'Certificate', 'postgres-tls').spec.dnsNames = 'postgres'; }],
];

let failed = 0;
for (const [name, what, expected, mutate] of cases) {
  const docs = structuredClone(original);
  mutate(docs);
  const { problems } = validate(parseRendering(docs.map((d) => stringify(d)).join('---\n')));
  const hit = problems.find((p) => expected.test(p));
  if (hit) console.log(`caught ${name} (${what}): ${hit}`);
  else { failed += 1; console.log(`MISSED ${name} (${what}): ${problems.length ? problems.join(' | ') : 'no problem reported'}`); }
}
console.log(`self-test: ${cases.length - failed} of ${cases.length} broken renderings caught`);
process.exit(failed ? 1 : 0);
