#!/usr/bin/env python3
"""Measures POST /ingest from outside, against the local stack's real Kafka (deploy/local/stack.sh up).

  latency: p50/p90/p99 of sequential requests of N events each (light load: one request at a time)
  crash:   POST a few bodies with a long linger, SIGKILL the producer at once after the last 200, then count
           the rows on the topic: with ack-before-200 every accepted row is there

Runs a packaged producer (producer/target/quarkus-app, or a copy of an older build to compare) on a free
port with a topic of its own, so it never touches the services' ports or topics:

  python3 producer/bench/ingest_check.py latency --app producer/target/quarkus-app [--requests 300] [--events 500] [--set k=v]
  python3 producer/bench/ingest_check.py crash   --app producer/target/quarkus-app [--bodies 4] [--events 500]
"""
import argparse, glob, http.client, json, os, random, signal, socket, subprocess, sys, tempfile, time, uuid

HOME = os.environ.get("STREAMING_ARROW_HOME") or os.path.join(os.path.dirname(__file__), "..", "..", ".local-stack")
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_producer(app, topic, extra):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="ingest-check-", suffix=".log", delete=False)
    props = {"quarkus.http.port": port, "quarkus.http.host": "127.0.0.1", "kafka.bootstrap.servers": BOOTSTRAP,
             "mp.messaging.outgoing.arrow-tables.topic": topic, "producer.host-metrics.enabled": "false",
             "quarkus.log.level": "WARN"}
    props.update(extra)
    cmd = ["java", "-Xmx256m", "--add-opens=java.base/java.nio=ALL-UNNAMED"] + \
          ["-D%s=%s" % kv for kv in props.items()] + ["-jar", os.path.join(app, "quarkus-run.jar")]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("the producer exited; its log: " + log.name)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/q/health/ready")
            if c.getresponse().status == 200:
                return proc, port, log.name
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    sys.exit("the producer did not get ready in 90 s; its log: " + log.name)


def body(events, seq):
    lines = []
    base = int(time.time() * 1e6)
    for i in range(events):
        lines.append('{"device":"lat-%d","ts":%d,"cpu_used":%.1f,"memory_used":40}' % (i % 20, base + seq * events + i, i % 100))
    return "\n".join(lines).encode()


def post(conn, data):
    t0 = time.perf_counter()
    conn.request("POST", "/ingest", body=data, headers={"content-type": "application/x-ndjson"})
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, (time.perf_counter() - t0) * 1000, payload


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


def latency(args):
    topic = "ingest_latency_" + uuid.uuid4().hex[:8]
    proc, port, log = start_producer(args.app, topic, dict(kv.split("=", 1) for kv in args.set))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(args.warmup):
            post(conn, body(args.events, i))
        times, statuses = [], {}
        for i in range(args.requests):
            status, ms, _ = post(conn, body(args.events, args.warmup + i))
            statuses[status] = statuses.get(status, 0) + 1
            times.append(ms)
            if args.pause_ms:
                time.sleep(args.pause_ms / 1000)
        times.sort()
        print(json.dumps({"app": args.app, "events_per_request": args.events, "requests": args.requests,
                          "statuses": statuses, "p50_ms": round(pct(times, 50), 2), "p90_ms": round(pct(times, 90), 2),
                          "p99_ms": round(pct(times, 99), 2), "max_ms": round(times[-1], 2)}))
    finally:
        proc.terminate()
        proc.wait(60)


def rows_on_topic(topic):
    cp = os.path.join(HOME, "cache", "kafka-*", "*")
    jars = ":".join(glob.glob(cp))
    out = subprocess.run(["java", "-Xmx256m", "-cp", jars, "org.apache.kafka.tools.consumer.ConsoleConsumer",
                          "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--from-beginning", "--timeout-ms", "8000",
                          "--property", "print.headers=true", "--property", "print.value=false",
                          "--property", "print.key=false"], capture_output=True, text=True).stdout
    rows = 0
    for line in out.splitlines():
        for header in line.split(","):
            if header.startswith("arrow-rows:"):
                rows += int(header.split(":", 1)[1])
    return rows


def crash(args):
    topic = "ingest_crash_" + uuid.uuid4().hex[:8]
    proc, port, log = start_producer(args.app, topic, {"producer.batching.linger": "60s"})
    accepted, statuses = 0, []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(args.bodies):
            status, ms, payload = post(conn, body(args.events, i))
            statuses.append(status)
            if status == 200:
                accepted += json.loads(payload)["accepted"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    print(json.dumps({"app": args.app, "statuses": statuses, "accepted": accepted, "rows_in_kafka": rows_on_topic(topic)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["latency", "crash"])
    parser.add_argument("--app", default=os.path.join(os.path.dirname(__file__), "..", "target", "quarkus-app"))
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--pause-ms", type=int, default=20, help="pause between requests: light load")
    parser.add_argument("--bodies", type=int, default=4)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a config property of the producer")
    args = parser.parse_args()
    random.seed(1)
    latency(args) if args.mode == "latency" else crash(args)
