// Lays out, for deploy/k8s/tls-local.sh, what the rendered manifests give ClickHouse, PostgreSQL, the sink and the
// analyzer, mapped onto this machine: certificates made like cert-manager's for each Certificate's dnsNames, every
// Secret/ConfigMap a workload mounts written as files under DIR/root/<workload>/<mountPath>, the servers' TLS
// settings with their paths moved there, and each service's effective environment (ConfigMap, then its own
// variables) with only the cluster-specific parts replaced. Prints what it replaced.
// Usage: node local-tls.mjs rendered.yaml DIR   (reads DIR/local.json: ports and local secret values)
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseRendering } from './validate.mjs';

const [renderedFile, dir] = process.argv.slice(2);
const local = JSON.parse(fs.readFileSync(path.join(dir, 'local.json'), 'utf8'));
const docs = parseRendering(fs.readFileSync(renderedFile, 'utf8'));
const find = (kind, pred) => docs.find((d) => d.kind === kind && (typeof pred === 'function' ? pred(d) : d.metadata.name === pred));
const root = path.join(dir, 'root');
const notes = [];
const write = (file, text, mode = 0o644) => { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, text, { mode }); };

// Certificates: one CA, like the self-signed issuer's, and a server certificate per non-CA Certificate.
const certs = docs.filter((d) => d.kind === 'Certificate');
const secretFiles = {};
const openssl = (...args) => { const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' }); if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`); };
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt',
  '-subj', '/CN=Streaming Arrow CA (tls-local)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
const caPem = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
for (const c of certs) {
  if (c.spec.isCA) { secretFiles[c.spec.secretName] = { 'tls.crt': caPem, 'ca.crt': caPem, 'tls.key': fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') }; continue; }
  const base = `server-${c.metadata.name}`;
  write(path.join(dir, `${base}.ext`), [`subjectAltName=${c.spec.dnsNames.map((n) => `DNS:${n}`).join(',')}`, 'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'].join('\n'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${c.spec.commonName ?? c.spec.dnsNames[0]}`);
  openssl('x509', '-req', '-sha256', '-days', '2', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-extfile', `${base}.ext`, '-out', `${base}.crt`);
  secretFiles[c.spec.secretName] = { 'tls.crt': fs.readFileSync(path.join(dir, `${base}.crt`), 'utf8'), 'tls.key': fs.readFileSync(path.join(dir, `${base}.key`), 'utf8'), 'ca.crt': caPem };
  notes.push(`certificate ${c.metadata.name}: ${c.spec.dnsNames.join(', ')}`);
}

// Every Secret/ConfigMap volume a workload mounts, as files; a container path under a mount maps to its copy.
const workloads = docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
const mounts = {};
for (const w of workloads) {
  const pod = w.spec.template.spec;
  mounts[w.metadata.name] = [];
  for (const m of pod.containers[0].volumeMounts ?? []) {
    const v = (pod.volumes ?? []).find((x) => x.name === m.name);
    const content = v?.secret ? secretFiles[v.secret.secretName] : v?.configMap ? find('ConfigMap', v.configMap.name)?.data : undefined;
    if (!content) continue;
    const items = (v.secret ?? v.configMap).items ?? Object.keys(content).map((key) => ({ key, path: key }));
    const target = path.join(root, w.metadata.name, m.mountPath);
    const mode = (v.secret ?? v.configMap).defaultMode ?? 0o644;
    if (m.subPath) { const item = items.find((i) => i.path === m.subPath); write(target, content[item.key], mode); } else for (const i of items) write(path.join(target, i.path), content[i.key], i.mode ?? mode);
    mounts[w.metadata.name].push([m.mountPath, target]);
  }
}
const localPath = (w, p) => { const hit = mounts[w].find(([from]) => p === from || p.startsWith(`${from.replace(/\/$/, '')}/`)); return hit ? hit[1] + p.slice(hit[0].length) : p; };
const localPaths = (w, text) => mounts[w].reduce((t, [from, to]) => t.split(from).join(to), text);

// ClickHouse: its config.d files and first-start scripts, paths moved, TLS ports moved to the local ones.
const ch = workloads.find((w) => /clickhouse-server/.test(w.spec.template.spec.containers[0].image));
const chPorts = {};
for (const m of ch.spec.template.spec.containers[0].volumeMounts) {
  const file = localPath(ch.metadata.name, m.mountPath);
  if (m.mountPath.startsWith('/etc/clickhouse-server/config.d/')) {
    let xml = localPaths(ch.metadata.name, fs.readFileSync(file, 'utf8'));
    for (const [tag, port] of [['https_port', local.clickhouseHttpsPort], ['tcp_port_secure', local.clickhouseTlsPort]]) {
      xml = xml.replace(new RegExp(`<${tag}>(\\d+)</${tag}>`), (_, p) => { chPorts[p] = port; return `<${tag}>${port}</${tag}>`; });
    }
    write(path.join(dir, 'clickhouse', 'config.d', path.basename(m.mountPath)), xml);
  } else if (m.mountPath.startsWith('/docker-entrypoint-initdb.d/')) {
    const script = Object.entries(chPorts).reduce((t, [from, to]) => t.split(`:${from}/`).join(`:${to}/`), fs.readFileSync(file, 'utf8'));
    write(path.join(dir, 'clickhouse', 'initdb', path.basename(m.mountPath)), script);
  }
}
notes.push(`clickhouse: container ports ${Object.entries(chPorts).map(([a, b]) => `${a} -> ${b}`).join(', ')}`);

// PostgreSQL: its arguments (paths moved), the database and user the image makes.
const pg = workloads.find((w) => /(^|\/)postgres(ql)?:/.test(w.spec.template.spec.containers[0].image));
const pgContainer = pg.spec.template.spec.containers[0];
write(path.join(dir, 'postgres', 'args'), pgContainer.args.map((a) => localPaths(pg.metadata.name, a)).join('\n') + '\n');
const pgEnv = Object.fromEntries(pgContainer.env.map((e) => [e.name, e.value]));
write(path.join(dir, 'postgres', 'database'), `${pgEnv.POSTGRES_DB}\n`);

// The services: effective environment, Secrets' values from local.json, cluster addresses moved to this machine.
const serviceFor = (host, port) => {
  const svc = docs.find((s) => s.kind === 'Service' && host.split('.')[0] === s.metadata.name);
  const sp = svc?.spec.ports.find((p) => p.port === port);
  if (!sp) return null;
  if (svc.metadata.name === ch.metadata.name) return chPorts[sp.port] ?? chPorts[String(ch.spec.template.spec.containers[0].ports.find((p) => p.name === sp.targetPort)?.containerPort)];
  if (svc.metadata.name === pg.metadata.name) return local.postgresPort;
  return null;
};
for (const d of docs.filter((x) => x.kind === 'Deployment')) {
  const c = d.spec.template.spec.containers[0];
  const service = d.metadata.name.replace(/^streaming-arrow-/, '');
  const env = {};
  for (const f of c.envFrom ?? []) Object.assign(env, find('ConfigMap', f.configMapRef?.name)?.data ?? {});
  for (const e of c.env ?? []) {
    if (e.value !== undefined) { env[e.name] = e.value; continue; }
    const ref = e.valueFrom.secretKeyRef;
    if (!ref) { env[e.name] = 'streaming-arrow'; continue; } // the namespace (field reference)
    const value = local.secrets[`${ref.name.replace(/-[a-z0-9]{10}$/, '')}/${ref.key}`];
    if (value === undefined) throw new Error(`${d.metadata.name}: no local value for Secret ${ref.name} key ${ref.key}`);
    env[e.name] = value;
    notes.push(`${service}: ${e.name} from Secret ${ref.name}/${ref.key} (local value)`);
  }
  for (const [k, v] of Object.entries(env)) {
    let nv = localPaths(d.metadata.name, v);
    if (k === 'KAFKA_BOOTSTRAP_SERVERS') nv = local.kafkaBootstrap;
    nv = nv.replace(/^(https|postgresql):\/\/([^/:]+):(\d+)/, (all, scheme, host, port) => { const p = serviceFor(host, Number(port)); return p ? `${scheme}://${host}:${p}` : all; });
    if (k === 'JDK_JAVA_OPTIONS') nv += ` -Djdk.net.hosts.file=${path.join(dir, 'hosts')}`;
    if (nv !== v) notes.push(`${service}: ${k}=${v} -> ${nv}`);
    env[k] = nv;
  }
  write(path.join(dir, `${service}.env`), Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(''));
}
write(path.join(dir, 'hosts'), `127.0.0.1 localhost ${local.hostname} ${docs.filter((d) => d.kind === 'Service').map((s) => s.metadata.name).join(' ')} ${certs.flatMap((c) => c.spec.dnsNames ?? []).join(' ')} not-in-the-certificate\n`);
notes.forEach((n) => console.log(`[tls-local] ${n}`));
