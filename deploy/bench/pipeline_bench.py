#!/usr/bin/env python3
"""End-to-end benchmark of Streaming Arrow on the local stack (run through deploy/bench/pipeline-bench.sh).

One invocation runs --repeat repetitions (3 by default); each repetition runs these phases one after the other,
on the same machine and servers, so that every ratio is taken against baselines of the same repetition:
  ours       the producer's fleet at full speed -> producer -> Kafka -> sink -> ClickHouse, ROWS rows
  ceiling    ClickHouse's own bulk insert (Native over HTTP, large inserts) of exactly the rows of that run
  json       the same fleet as one JSON message each -> Kafka -> JSONEachRow inserts of the sink's size
  freshness  the ours path at a fixed moderate rate: event time -> queryable in ClickHouse, per row
Then, once (phase "analyzer"): the first repetition's full-speed topic is drained by the analyzer (10 s
tumbling windows, default measures and alert rules) and, in turn, the same events as one JSON message each by a
Kafka Streams application (deploy/jmh .../StreamsWindowAggregates), --repeat times each, interleaved; both
results are compared window by window.

Every figure is printed as the median over the repetitions with the lowest and highest value; ratios are
taken per repetition (ours against that repetition's baselines), then their median.

CPU is read from /proc (utime + stime) of every process on the path, the Kafka broker and ClickHouse
included, so a pipeline cannot look cheap by moving its work into the server. Every phase writes to its
own topic and table (bench_*), dropped at the end unless --keep.
"""

import argparse
import csv
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOME = os.environ.get("STREAMING_ARROW_HOME", os.path.join(REPO, ".local-stack"))
CLICKHOUSE = os.environ.get("CLICKHOUSE_URL", "http://127.0.0.1:8123")
DATABASE = "streaming_arrow"
KAFKA = "127.0.0.1:19092"
TICKS = os.sysconf("SC_CLK_TCK")
PRODUCER_PORT, SINK_PORT = 18080, 18082
FRESHNESS_WINDOW_S = 8


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


# ------------------------------------------------------------------ ClickHouse over HTTP

def ch(sql, data=None, timeout=120):
    url = CLICKHOUSE + "/?" + urllib.parse.urlencode({"database": DATABASE, "query": sql})
    # POST even for statements without a body: over GET, ClickHouse refuses anything that writes.
    request = urllib.request.Request(url, data=data if data is not None else b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"ClickHouse refused {sql[:120]!r}: {error.read().decode(errors='replace')[:400]}") from None


def ch_text(sql):
    return ch(sql).decode().strip()


def ch_count(table):
    try:
        return int(ch_text(f"SELECT count() FROM {table}") or 0)
    except RuntimeError:
        return 0  # the sink creates its table with the first message


def ts_micros_expression(table):
    """18.16 keeps the exact instant in ts_us next to a seconds DateTime; newer servers have DateTime64."""
    columns = ch_text(f"SELECT name FROM system.columns WHERE database = '{DATABASE}' AND table = '{table}'").split()
    return "ts_us" if "ts_us" in columns else "toUnixTimestamp64Micro(ts)"


# ------------------------------------------------------------------ processes and /proc

def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    except (FileNotFoundError, ProcessLookupError):
        return float("nan")


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def pid_file(path):
    with open(path) as f:
        return int(f.read().split()[0])


def pid_on_port(port):
    """The process listening on a local port (the stack's servers, wherever their home directory is)."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    for part in out.split("pid=")[1:]:
        return int(part.split(",")[0])
    raise RuntimeError(f"nothing listens on port {port}: is the local stack up?")


def tree_cpu_seconds(root):
    """CPU of a server that forks a process per connection (PostgreSQL): the root's own time, its reaped
    children's (cutime + cstime), and that of the children still running."""
    total = 0.0
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), fields))
    try:
        with open(f"/proc/{root}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / TICKS  # utime, stime, cutime, cstime
    except FileNotFoundError:
        return float("nan")
    stack = [root]
    while stack:
        for pid, fields in children.get(stack.pop(), []):
            total += (int(fields[11]) + int(fields[12])) / TICKS
            stack.append(pid)
    return total


def load_average():
    return os.getloadavg()[0]


# ------------------------------------------------------------------ medians and spreads

def finite(values):
    return [v for v in values if v is not None and v == v]


def median(values):
    values = finite(values)
    return statistics.median(values) if values else float("nan")


def spread(values, style):
    """'median (lowest-highest)' in one of the styles: rate (k/M), x (ratio), f1/f2 (decimals), int."""
    values = finite(values)
    if not values:
        return "-"
    def f(v):
        if style == "rate":
            return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.0f}k"
        if style == "x":
            return f"{v:.2f}"
        if style in ("f1", "f2"):
            return f"{v:.{style[1]}f}"
        return f"{v:,.0f}"
    m = f(statistics.median(values))
    if len(values) == 1:
        return m + (" x" if style == "x" else "")
    return f"{m}{'x' if style == 'x' else ''} ({f(min(values))}-{f(max(values))})"


def steady_state(samples, rows, low=0.1, high=0.9):
    """The run's steady state, defined from its own data: from the moment low of its rows are queryable to the
    moment high of them are (interpolated between the samples), so start-up (JIT, table creation, the first
    inserts) and the tail (the last partial inserts) are outside it. Returns (start, end, rows per second)."""
    def crossing(target):
        previous = None
        for t, count, _ in samples:
            if count >= target:
                if previous is None or count == previous[1]:
                    return t
                t0, c0 = previous
                return t0 + (t - t0) * (target - c0) / (count - c0)
            previous = (t, count)
        return float("nan")
    start, end = crossing(low * rows), crossing(high * rows)
    rate = (high - low) * rows / (end - start) if end > start else float("nan")
    return start, end, rate


class Service:
    """A JVM this benchmark starts, with its log in the results directory."""

    def __init__(self, name, command, log_path):
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE if name.startswith("json") else self.log_file,
                                        stderr=self.log_file, text=True, cwd=REPO)
        self.pid = self.process.pid

    def wait_ready(self, port, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} was not ready after {timeout}s; see {self.log_path}")

    def wait_log(self, text, timeout=90):
        """Waits for a line of the service's log: the producer logs 'sensor fleet:' as its fleet starts."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path, errors="replace") as f:
                if text in f.read():
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not log {text!r} in {timeout}s; see {self.log_path}")

    def wait_line(self, prefix, timeout=120):
        """For the baseline programs, which say 'ready'/'started'/'done' on stdout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} ended before saying {prefix!r}; see {self.log_path}")
            if line.startswith(prefix):
                return line.strip()
        raise RuntimeError(f"{self.name} did not say {prefix!r} in {timeout}s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# ------------------------------------------------------------------ the benchmark

ANALYZER_PORT = 18081
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://streaming_arrow:streaming_arrow@127.0.0.1:5432/streaming_arrow")


def psql(sql):
    return subprocess.run(["psql", POSTGRES_URL, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True,
                          text=True).stdout


def service_jvm_options(module):
    """The JVM options every deployment of a service runs with, from one place: the Kubernetes manifests'
    JDK_JAVA_OPTIONS in the service's application.properties (pipeline.sh, e2e.sh and this benchmark read the
    same line), so a figure here is a figure of the defaults."""
    with open(os.path.join(REPO, module, "src/main/resources/application.properties")) as f:
        for line in f:
            if line.startswith("quarkus.kubernetes.env.vars.jdk-java-options="):
                return line.split("=", 1)[1].split()
    raise RuntimeError(f"{module}: no quarkus.kubernetes.env.vars.jdk-java-options in application.properties")


def service_environment(module):
    """Environment variables every deployment of a service runs with, from the same file: glibc's malloc arenas
    (quarkus.kubernetes.env.vars.malloc-arena-max, MALLOC_ARENA_MAX in the manifests; pipeline.sh reads it too)."""
    with open(os.path.join(REPO, module, "src/main/resources/application.properties")) as f:
        for line in f:
            if line.startswith("quarkus.kubernetes.env.vars.malloc-arena-max="):
                return [f"MALLOC_ARENA_MAX={line.split('=', 1)[1].strip()}"]
    return []


def native_executable(module):
    target = os.path.join(REPO, module, "target")
    runners = sorted(f for f in os.listdir(target) if f.endswith("-runner")) if os.path.isdir(target) else []
    if not runners:
        raise RuntimeError(f"{module} has no native executable in {target}: build them with deploy/native/build.sh "
                           "(deploy/native/README.md), or run with --runtime jvm")
    return os.path.join(target, runners[0])


class Bench:

    def __init__(self, args):
        self.args = args
        self.stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        self.logs = os.path.join(self.out, f"logs-{self.stamp}")
        os.makedirs(self.logs, exist_ok=True)
        self.kafka_pid = pid_on_port(int(KAFKA.rsplit(":", 1)[1]))
        self.clickhouse_pid = pid_on_port(int(urllib.parse.urlparse(CLICKHOUSE).port or 8123))
        with open(os.path.join(self.out, ".classpath")) as f:
            self.bench_classpath = os.path.join(REPO, "deploy/jmh/target/classes") + ":" + f.read().strip()
        self.topics, self.tables, self.schemas = [], [], []
        self.reps = []  # one dict per repetition: ours, ceiling, json, freshness, transports, load
        self.analysis = []  # one dict per analyzer / Kafka Streams repetition
        self.series = {}
        self.peak_rss = {}
        self.first_ours = None  # (topic, table) of the first full-speed run, drained again by the analyzer phase
        self.server_version = ch_text("SELECT version()")

    # ---- helpers

    def java(self, *arguments, module=None, heap=None, profile=None):
        # A service runs with its deployed JVM options (service_jvm_options) unless --heap overrides the heap.
        # Out of heap, a service exits (as the deployed ones do) and the run fails loudly instead of stalling.
        if module and self.args.runtime == "native":
            return self.native_command(module, arguments, heap)
        flags = service_jvm_options(module) if module else ["--add-opens=java.base/java.nio=ALL-UNNAMED",
                                                            "-XX:+ExitOnOutOfMemoryError"]
        if heap or not module:
            flags = [f for f in flags if not f.startswith(("-Xmx", "-XX:MaxRAMPercentage"))] + [f"-Xmx{heap or '256m'}"]
        if self.args.nmt and module:
            flags.append("-XX:NativeMemoryTracking=summary")
        if profile:
            flags.append(f"-XX:StartFlightRecording=filename={profile},settings=profile,dumponexit=true")
        # Through env(1), which execs java in its own process: the pid measured is the JVM's.
        return ["env", *(service_environment(module) if module else []), "java", *flags, *arguments]

    def native_command(self, module, arguments, heap):
        """The service's native executable (deploy/native/build.sh) with the same system properties and the same
        maximum heap as its JVM deployment; the JVM-only options (metaspace, code cache, collector) do not apply."""
        runner = native_executable(module)
        heap_flags = [f for f in service_jvm_options(module) if f.startswith("-Xmx")]
        if heap:
            heap_flags = [f"-Xmx{heap}"]
        properties = [a for a in arguments if a.startswith("-D")]
        return ["env", *service_environment(module), runner, *heap_flags, *properties]

    def bench_tool(self, main, *arguments):
        answer = subprocess.run(["java", "-cp", self.bench_classpath, f"io.streamingarrow.bench.json.{main}", *arguments],
                              check=True, capture_output=True, text=True, cwd=REPO).stdout.strip()
        # The tool's answer is its last line (a Java agent from JAVA_TOOL_OPTIONS, a profiler say, may print first).
        return answer.splitlines()[-1] if answer else answer

    def topic(self, name):
        topic = f"bench_{name}_{self.stamp}"
        self.bench_tool("BenchTopics", "create", str(self.args.partitions), topic)
        self.topics.append(topic)
        return topic

    def table(self, name):
        table = f"bench_{name}_{self.stamp}"
        self.tables.append(table)
        return table

    def producer(self, topic, rows, rate, tag):
        jar = os.path.join(REPO, "producer/target/quarkus-app/quarkus-run.jar")
        return Service("producer", self.java(
            f"-Dquarkus.http.port={PRODUCER_PORT}",
            "-Dproducer.host-metrics.enabled=false",
            "-Dproducer.fleet.enabled=true",
            f"-Dproducer.fleet.devices={self.args.devices}",
            f"-Dproducer.fleet.rows-per-second={rate}",
            f"-Dproducer.fleet.max-rows={rows}",
            f"-Dmp.messaging.outgoing.arrow-tables.topic={topic}",
            *[f"-D{p}" for p in self.args.producer_property],
            "-jar", jar, module="producer", heap=self.args.heap, profile=self.recording("producer", tag)),
            os.path.join(self.logs, f"producer-{tag}.log"))

    def sink(self, topic, table, tag, extra=()):
        jar = os.path.join(REPO, "sink/target/quarkus-app/quarkus-run.jar")
        return Service("sink", self.java(
            f"-Dquarkus.http.port={SINK_PORT}",
            f"-Dsink.clickhouse.table={table}",
            f"-Dmp.messaging.incoming.arrow-tables.topic={topic}",
            f"-Dmp.messaging.incoming.arrow-tables.group.id=bench-sink-{table}",
            # A topic of its own for this run's dead letters, so nothing here touches the real one.
            f"-Dmp.messaging.outgoing.arrow-tables-dlq.topic={topic}_dlq",
            *extra,
            *[f"-D{p}" for p in self.args.sink_property],
            "-jar", jar, module="sink", heap=self.args.heap, profile=self.recording("sink", tag)),
            os.path.join(self.logs, f"sink-{tag}.log"))

    def recording(self, service, tag):
        """With --profile, the first full-speed run is recorded with JDK Flight Recorder (summarised at the end)."""
        return os.path.join(self.logs, f"{service}-{tag}.jfr") if self.args.profile and tag == "throughput-1" else None

    def nmt(self, service, tag):
        """With --nmt, the JVM's own account of its memory (heap, metaspace, code cache, threads, direct...)."""
        if not self.args.nmt or service.process.poll() is not None:
            return
        out = subprocess.run(["jcmd", str(service.pid), "VM.native_memory", "summary", "scale=MB"],
                             capture_output=True, text=True).stdout
        with open(os.path.join(self.logs, f"nmt-{service.name}-{tag}.txt"), "w") as f:
            f.write(f"VmHWM {peak_rss_mb(service.pid):.0f} MB\n" + out)

    def watch(self, table, rows, pids, timeout, every=0.1, on_tick=None, must_run=()):
        """Samples the row count (and CPU of pids) until rows are queryable; returns the samples. Fails at
        once if one of must_run exits (e.g. a service out of heap) rather than at the timeout."""
        samples = []
        deadline = time.time() + timeout
        last_log = 0
        while True:
            now = time.time()
            count = ch_count(table)
            samples.append((now, count, {name: cpu_seconds(pid) for name, pid in pids.items()}))
            for name, pid in pids.items():
                # Sampled while running: the baseline's producer exits by itself when it is done.
                self.peak_rss[name] = max(self.peak_rss.get(name, 0), peak_rss_mb(pid))
            if on_tick:
                on_tick(now)
            if count >= rows:
                return samples
            if now > deadline:
                raise RuntimeError(f"only {count} of {rows} rows in {table} after {timeout}s")
            for service in must_run:
                if service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited (code {service.process.returncode}) with {count} of "
                                       f"{rows} rows in {table}; see {service.log_path}")
            if now - last_log >= 5:
                log(f"  {count:,} / {rows:,} rows queryable")
                last_log = now
            time.sleep(every)

    def path_cost(self, table, rows, start_cpu, samples, services, topic):
        """Common figures of a pipeline run: end-to-end rate (whole run and steady state), CPU per process,
        bytes per row, peak RSS. CPU is the whole run's: a producer finishes before the sink (Kafka holds what
        the sink has not read yet), so a window of the run would leave part of its work out."""
        first_event = int(ch_text(f"SELECT min({ts_micros_expression(table)}) FROM {table}")) / 1e6
        end_time, count, end_cpu = samples[-1]
        elapsed = end_time - first_event
        cpu = {k: end_cpu[k] - start_cpu[k] for k in start_cpu}
        kafka_bytes = int(self.bench_tool("BenchTopics", "bytes", topic))
        steady_from, steady_to, steady_rate = steady_state(samples, rows)
        return {
            "rows": count,
            "seconds": elapsed,
            "rows_per_s": count / elapsed,
            "steady_rows_per_s": steady_rate,
            "steady_window_s": [steady_from - first_event, steady_to - first_event],
            "first_rows_after_s": next((t for t, c, _ in samples if c > 0), end_time) - first_event,
            "cpu_s": cpu,
            "cpu_s_total": sum(cpu.values()),
            "cpu_s_per_million_rows": {k: v / count * 1e6 for k, v in cpu.items()},
            "rows_per_cpu_s": count / sum(cpu.values()),
            "kafka_bytes_per_row": kafka_bytes / count,
            "peak_rss_mb": {s.name: max(self.peak_rss.get(s.name, 0), peak_rss_mb(s.pid)) for s in services},
        }

    def throughput_series(self, name, samples, t0):
        self.series[name] = [(t - t0, c) for t, c, _ in samples[1:]]

    # ---- the repetitions

    def run_repetitions(self):
        phases = self.args.phases.split(",")
        for i in range(1, self.args.repeat + 1):
            rep = {"repetition": i, "load_before": load_average()}
            self.reps.append(rep)
            log(f"=== repetition {i}/{self.args.repeat} (load average {rep['load_before']:.1f} on {os.cpu_count()} cores)")
            if "ours" in phases:
                self.run_ours(rep)
            if "ceiling" in phases and "ours" in rep:
                self.run_ceiling(rep)
            if "json" in phases:
                self.run_json(rep)
            if "freshness" in phases:
                self.run_freshness(rep)
            rep["load_after"] = load_average()
            if i > 1 and rep.get("ours_table") and (not self.first_ours or rep["ours_table"] != self.first_ours[1]):
                # The ceiling has been taken: only the first repetition's rows are needed again (analyzer phase).
                ch(f"DROP TABLE IF EXISTS {rep['ours_table']}")

    # ---- Streaming Arrow at full speed

    def run_ours(self, rep):
        """The full-speed run, once per sink transport (interleaved within the repetition, so a noisy neighbour
        hits both); the first transport's run is the one the main table reports."""
        rep["transports"] = []
        for j, transport in enumerate(self.args.transports.split(",")):
            result, topic, table = self.run_ours_once(transport, rep["repetition"])
            rep["transports"].append({"transport": transport, **result})
            if j == 0:
                rep["ours"], rep["ours_table"] = result, table
                if self.first_ours is None:
                    self.first_ours = (topic, table)

    def run_ours_once(self, transport, i):
        rows = self.args.rows
        log(f"[ours] Streaming Arrow (sink transport {transport}): {rows:,} fleet rows at full speed -> producer -> "
            "Kafka -> sink -> ClickHouse")
        name = f"arrow_{transport.replace('-', '')}_{i}"
        topic, table = self.topic(name), self.table(name)
        tag = f"throughput-{i}" + ("" if transport == self.args.transports.split(",")[0] else f"-{transport}")
        sink = self.sink(topic, table, tag, extra=(f"-Dsink.clickhouse.transport={transport}",))
        producer = None
        try:
            sink.wait_ready(SINK_PORT)
            start = {"kafka": cpu_seconds(self.kafka_pid), "clickhouse": cpu_seconds(self.clickhouse_pid),
                     "sink": cpu_seconds(sink.pid)}
            producer = self.producer(topic, rows, 1_000_000_000, tag)
            # The producer's JVM start-up is not the pipeline's cost: its CPU counts from the moment its
            # fleet starts (the JSON baseline's producer is counted the same way, from 'started').
            producer.wait_log("sensor fleet:")
            start["producer"] = cpu_seconds(producer.pid)
            pids = {"producer": producer.pid, "sink": sink.pid, "kafka": self.kafka_pid, "clickhouse": self.clickhouse_pid}
            self.peak_rss.clear()

            def memory_report(now, state={"done": False}):
                # NMT at the heaviest point: half the rows queryable (both services busy).
                if not state["done"] and self.args.nmt and ch_count(table) >= rows // 2:
                    state["done"] = True
                    self.nmt(producer, tag)
                    self.nmt(sink, tag)
            samples = self.watch(table, rows, pids, self.args.timeout, must_run=(sink,), on_tick=memory_report)
            result = self.path_cost(table, rows, start, samples, [producer, sink], topic)
            if "ours" not in self.series:
                self.throughput_series("ours", samples, samples[0][0])
            log(f"  {result['rows_per_s']:,.0f} rows/s end to end ({result['steady_rows_per_s']:,.0f} in steady state), "
                f"{result['rows_per_cpu_s']:,.0f} rows per CPU-second, "
                f"sink {result['cpu_s_per_million_rows']['sink']:.2f} CPU-s per M rows, RSS producer "
                f"{result['peak_rss_mb']['producer']:.0f} MB, sink {result['peak_rss_mb']['sink']:.0f} MB, "
                f"{result['kafka_bytes_per_row']:.1f} Kafka bytes/row")
            return result, topic, table
        finally:
            for service in (producer, sink):
                if service:
                    service.stop()

    # ---- freshness at a moderate rate

    def run_freshness(self, rep):
        rate, seconds, warmup = self.args.fresh_rate, self.args.fresh_seconds, self.args.fresh_warmup
        rows = rate * (warmup + seconds)
        i = rep["repetition"]
        log(f"[freshness] {rate:,} rows/s for {warmup}s of warm-up, then {seconds}s timed: event time -> queryable")
        topic, table = self.topic(f"fresh_{i}"), self.table(f"fresh_{i}")
        sink = self.sink(topic, table, f"freshness-{i}")
        producer = None
        histogram = {}  # freshness in ms (rounded up to the poll) -> rows
        seen = set()
        state = {"ts": None, "timed_from_ms": None}

        def on_tick(now):
            if state["ts"] is None:
                if ch_count(table) == 0:
                    return
                state["ts"] = ts_micros_expression(table)
            # Rows newly visible since the previous poll: one line per (message, 10 ms of event time). Only
            # the last seconds of event time are read (ts leads the sort key after the device, so the index
            # skips the rest): the poll must not load the server it measures. A row older than that when it
            # lands is missed, and the report shows fewer rows timed than generated.
            lines = ch_text(
                f"SELECT kafka_partition, kafka_offset, intDiv({state['ts']}, 10000) AS bucket, count() FROM {table} "
                f"WHERE ts >= toDateTime({int(now) - self.args.fresh_window}) GROUP BY kafka_partition, kafka_offset, bucket "
                f"FORMAT TabSeparated").splitlines()
            fresh = {}
            for line in lines:
                partition, offset, bucket, count = line.split("\t")
                key = (partition, offset)
                if key in seen:
                    continue
                fresh.setdefault(key, []).append((int(bucket), int(count)))
            for key, buckets in fresh.items():
                seen.add(key)
                for bucket, count in buckets:
                    if bucket * 10 < state["timed_from_ms"]:
                        continue  # generated while the JVMs were still warming up
                    # The row became visible after the previous poll and before this one: the later bound.
                    age_ms = max(0, round(now * 1000 - (bucket * 10 + 5)))
                    histogram[age_ms] = histogram.get(age_ms, 0) + count

        try:
            sink.wait_ready(SINK_PORT)
            producer = self.producer(topic, rows, rate, f"freshness-{i}")
            producer.wait_log("sensor fleet:")
            state["timed_from_ms"] = (time.time() + warmup) * 1000
            pids = {"producer": producer.pid, "sink": sink.pid}
            self.watch(table, rows, pids, seconds + self.args.timeout, every=0.2, on_tick=on_tick, must_run=(sink,))
            on_tick(time.time())
        finally:
            for service in (producer, sink):
                if service:
                    service.stop()
        ch(f"DROP TABLE IF EXISTS {table}")
        counted = sum(histogram.values())

        def percentile(q):
            target, running = q * counted, 0
            for age in sorted(histogram):
                running += histogram[age]
                if running >= target:
                    return age / 1000
            return float("nan")

        rep["freshness"] = {"rate": rate, "rows": rows, "rows_timed": counted, "warmup_s": warmup,
                            "p50_s": percentile(0.5), "p99_s": percentile(0.99), "max_s": percentile(1.0)}
        log(f"  p50 {percentile(0.5):.2f}s, p99 {percentile(0.99):.2f}s, max {percentile(1.0):.2f}s over {counted:,} rows"
            + ("" if counted >= rate * seconds * 0.99 else
               f" (of {rate * seconds:,} timed: the rest landed more than --fresh-window {self.args.fresh_window} s late)"))

    # ---- ClickHouse's own ceiling

    def run_ceiling(self, rep):
        rows = rep["ours"]["rows"]
        source = rep["ours_table"]
        chunks = max(1, math.ceil(rows / self.args.ceiling_insert_rows))
        log(f"[ceiling] ClickHouse: the same {rows:,} rows as {chunks} Native inserts over HTTP, 2 at a time")
        table = self.table(f"ceiling_{rep['repetition']}")
        ch(f"CREATE TABLE {table} AS {source}")
        spool = tempfile.mkdtemp(prefix="bench-native-")
        try:
            files = []
            for i in range(chunks):
                path = os.path.join(spool, f"{i}.native")
                with open(path, "wb") as f:
                    f.write(ch(f"SELECT * FROM {source} WHERE kafka_row % {chunks} = {i} FORMAT Native"))
                files.append(path)
            native_bytes = sum(os.path.getsize(p) for p in files)
            queue = list(files)
            lock = threading.Lock()
            errors = []

            def insert_worker():
                while True:
                    with lock:
                        if not queue:
                            return
                        path = queue.pop()
                    with open(path, "rb") as f:
                        body = f.read()
                    try:
                        ch(f"INSERT INTO {table} FORMAT Native", data=body)
                    except RuntimeError as e:
                        errors.append(e)

            cpu_start = cpu_seconds(self.clickhouse_pid)
            started = time.time()
            workers = [threading.Thread(target=insert_worker) for _ in range(2)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            elapsed = time.time() - started
            cpu = cpu_seconds(self.clickhouse_pid) - cpu_start
            if errors:
                raise errors[0]
        finally:
            shutil.rmtree(spool, ignore_errors=True)
        count = ch_count(table)
        if count != rows:
            raise RuntimeError(f"the ceiling table holds {count} rows, expected {rows}")
        ch(f"DROP TABLE IF EXISTS {table}")
        rep["ceiling"] = {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed,
                          "cpu_s_total": cpu, "rows_per_cpu_s": rows / cpu if cpu else float("nan"),
                          "cpu_s_per_million_rows": {"clickhouse": cpu / rows * 1e6},
                          "native_bytes_per_row": native_bytes / rows}
        log(f"  {rows / elapsed:,.0f} rows/s, ClickHouse {cpu / rows * 1e6:.2f} CPU-s per M rows")

    # ---- JSON per event

    def run_json(self, rep):
        rows = self.args.rows
        i = rep["repetition"]
        log(f"[json] JSON per event: {rows:,} fleet events, one JSON message each -> Kafka -> JSONEachRow")
        topic, table = self.topic(f"json_{i}"), self.table(f"json_{i}")
        ch(f"CREATE TABLE {table} (device String, ts_us Int64, cpu_used Float32, cpu_free Float32, "
           "memory_used Float32, memory_free Float32, run_elapsed_ms Int32) ENGINE = MergeTree() ORDER BY (device, ts_us)")
        base = ["java", f"-Xmx{self.args.heap or '256m'}", "-cp", self.bench_classpath]
        loader = Service("json-loader", base + [
            "io.streamingarrow.bench.json.JsonEachRowLoader", "--topic", topic, "--table", f"{DATABASE}.{table}",
            "--rows", str(rows), "--group", f"bench-json-{self.stamp}-{i}",
            "--insert-rows", "100000", "--linger-ms", "1000", "--in-flight", "2"],
            os.path.join(self.logs, f"json-loader-{i}.log"))
        producer = None
        try:
            loader.wait_line("ready")
            start = {"kafka": cpu_seconds(self.kafka_pid), "clickhouse": cpu_seconds(self.clickhouse_pid),
                     "json-loader": cpu_seconds(loader.pid)}
            producer = Service("json-producer", base + [
                "io.streamingarrow.bench.json.JsonEventProducer", "--topic", topic, "--rows", str(rows),
                "--devices", str(self.args.devices), "--compression", self.args.json_compression],
                os.path.join(self.logs, f"json-producer-{i}.log"))
            producer.wait_line("started")
            start["json-producer"] = cpu_seconds(producer.pid)
            pids = {"json-producer": producer.pid, "json-loader": loader.pid, "kafka": self.kafka_pid,
                    "clickhouse": self.clickhouse_pid}
            self.peak_rss.clear()
            samples = self.watch(table, rows, pids, self.args.timeout, must_run=(loader,))
            result = self.path_cost(table, rows, start, samples, [producer, loader], topic)
            done = producer.wait_line("done").split()
            result["json_document_bytes_per_row"] = int(done[2]) / int(done[1])
            if "json" not in self.series:
                self.throughput_series("json", samples, samples[0][0])
            rep["json"] = result
            log(f"  {result['rows_per_s']:,.0f} rows/s end to end ({result['steady_rows_per_s']:,.0f} in steady state), "
                f"{result['rows_per_cpu_s']:,.0f} rows per CPU-second, {result['kafka_bytes_per_row']:.1f} Kafka bytes/row")
        finally:
            for service in (producer, loader):
                if service:
                    service.stop()
        ch(f"DROP TABLE IF EXISTS {table}")

    # ---- the analyzer against Kafka Streams

    def run_analysis(self):
        """The first full-speed run's topic, drained by the analyzer; the same events as JSON per event, drained
        by the Kafka Streams baseline; --repeat times each, interleaved; then window by window compared."""
        if not self.first_ours:
            raise RuntimeError("the analyzer phase drains the first full-speed run's topic: run phase ours too")
        topic, table = self.first_ours
        rows = int(ch_text(f"SELECT count() FROM {table}"))
        # The same events as JSON: the fleet (same seed, so the same devices and values in the same order) with
        # each device's timestamps taken from the Arrow run's rows. Written before anything is timed.
        timestamps = os.path.join(self.logs, "timestamps.tsv")
        with open(timestamps, "wb") as f:
            f.write(ch(f"SELECT device, {ts_micros_expression(table)} AS t, count() FROM {table} GROUP BY device, t "
                       "ORDER BY device, t FORMAT TabSeparated", timeout=600))
        events = self.topic("events")
        log(f"[analysis] writing the same {rows:,} events as JSON per event to {events} (not timed)")
        subprocess.run(["java", "-Xmx512m", "-cp", self.bench_classpath, "io.streamingarrow.bench.json.JsonEventProducer",
                        "--topic", events, "--rows", str(rows), "--devices", str(self.args.devices),
                        "--compression", self.args.json_compression, "--timestamps", timestamps],
                       check=True, capture_output=True, text=True, cwd=REPO)
        for i in range(1, self.args.repeat + 1):
            entry = {"repetition": i, "load_before": load_average()}
            self.analysis.append(entry)
            entry["analyzer"], ours = self.run_analyzer(topic, rows, i)
            entry["streams"], theirs = self.run_streams(events, rows, i)
            entry["agreement"] = compare_windows(ours, theirs)
            entry["load_after"] = load_average()
            log(f"  same aggregates: {entry['agreement']['summary']}")

    def run_analyzer(self, topic, rows, i):
        schema = f"bench_analyzer_{self.stamp}_{i}".lower()
        self.schemas.append(schema)
        log(f"[analyzer {i}] draining {topic} ({rows:,} rows): 10 s tumbling windows, default measures and alerts")
        jar = os.path.join(REPO, "analyzer/target/quarkus-app/quarkus-run.jar")
        outputs = f"{topic}_analysis_{i}"
        self.topics += [f"{outputs}_aggregates", f"{outputs}_alerts", f"{outputs}_dlq"]
        analyzer = Service("analyzer", self.java(
            f"-Dquarkus.http.port={ANALYZER_PORT}",
            f"-Danalyzer.store.schema={schema}",
            f"-Dmp.messaging.incoming.arrow-tables.topic={topic}",
            f"-Dmp.messaging.incoming.arrow-tables.group.id={schema}",
            f"-Dmp.messaging.outgoing.arrow-aggregates.topic={outputs}_aggregates",
            f"-Dmp.messaging.outgoing.alerts.topic={outputs}_alerts",
            f"-Dmp.messaging.outgoing.arrow-tables-dlq.topic={outputs}_dlq",
            *[f"-D{p}" for p in self.args.analyzer_property],
            "-jar", jar, module="analyzer", heap=self.args.heap,
            profile=os.path.join(self.logs, "analyzer.jfr") if self.args.profile and i == 1 else None),
            os.path.join(self.logs, f"analyzer-{i}.log"))
        postgres = pid_on_port(5432)
        try:
            analyzer.wait_ready(ANALYZER_PORT)

            def sample():
                metrics = prometheus(ANALYZER_PORT)
                return (time.time(), metrics.get("analyzer_rows_read_total", 0),
                        {"analyzer": cpu_seconds(analyzer.pid), "kafka": cpu_seconds(self.kafka_pid),
                         "postgres": tree_cpu_seconds(postgres)}, metrics)
            samples = [sample()]
            deadline = time.time() + self.args.timeout
            nmt_done = False
            while samples[-1][1] < rows:
                if analyzer.process.poll() is not None:
                    raise RuntimeError(f"analyzer exited; see {analyzer.log_path}")
                if time.time() > deadline:
                    raise RuntimeError(f"the analyzer read {samples[-1][1]:,.0f} of {rows:,} rows in {self.args.timeout}s")
                if not nmt_done and samples[-1][1] >= rows / 2:
                    self.nmt(analyzer, f"drain-{i}")
                    nmt_done = True
                time.sleep(0.1)
                samples.append(sample())
            # From the last sample before the first rows to the first with every row read.
            begin = max(k for k, s in enumerate(samples) if s[1] == 0) if samples[0][1] == 0 else 0
            t0, _, cpu0, _ = samples[begin]
            t1, _, cpu1, metrics = samples[-1]
            cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
            # Steady state: from the first sample past 10 % of the rows to the last before 90 % (JIT warm-up and
            # the consumer's start are outside it), CPU of the analyzer alone.
            inside = [s for s in samples if rows * 0.1 <= s[1] <= rows * 0.9]
            steady_rate = steady_cpu = float("nan")
            if len(inside) >= 2 and inside[-1][1] > inside[0][1]:
                span_rows = inside[-1][1] - inside[0][1]
                steady_rate = span_rows / (inside[-1][0] - inside[0][0])
                steady_cpu = span_rows / (inside[-1][2]["analyzer"] - inside[0][2]["analyzer"])
            read_at = t1
            # The last windows close once every partition is idle (analyzer.window.idle-timeout after its last row).
            stored = 0
            while stored < rows:
                if time.time() > read_at + 120:
                    raise RuntimeError(f"only {stored:,} of {rows:,} rows in stored windows 120 s after the last was read")
                time.sleep(0.2)
                stored = int(psql(f"SELECT coalesce(sum(row_count), 0) FROM {schema}.window_aggregates").strip() or 0)
            all_stored = time.time() - read_at
            # Stored, then published: the batch counts as settled once Kafka acknowledged it (seen on the next tick).
            for _ in range(300):
                metrics = prometheus(ANALYZER_PORT)
                latency_count = metrics.get("analyzer_window_close_latency_count_total", 0)
                if latency_count > 0:
                    break
                time.sleep(0.1)
            result = {
                "rows": rows, "seconds": t1 - t0, "rows_per_s": rows / (t1 - t0),
                "cpu_s": cpu, "cpu_s_per_million_rows": {k: v / rows * 1e6 for k, v in cpu.items()},
                "rows_per_cpu_s": rows / cpu["analyzer"],
                "rows_per_cpu_s_with_servers": rows / sum(cpu.values()),
                "steady_rows_per_s": steady_rate, "steady_rows_per_cpu_s": steady_cpu,
                "all_windows_stored_after_last_row_s": all_stored,
                "close_latency_mean_s": metrics.get("analyzer_window_close_latency_sum_seconds_total", 0)
                / latency_count if latency_count else float("nan"),
                "close_latency_max_s": metrics.get("analyzer_window_close_latency_max_seconds", float("nan")),
                "windows": int(metrics.get("analyzer_windows_closed_total", 0)),
                "rows_late": int(metrics.get("analyzer_rows_late_total", 0)),
                "peak_rss_mb": peak_rss_mb(analyzer.pid),
            }
            log(f"  analyzer: {result['rows_per_s']:,.0f} rows/s, {result['rows_per_cpu_s']:,.0f} rows per CPU-second "
                f"({cpu['analyzer'] / rows * 1e6:.2f} CPU-s per M rows), close latency mean "
                f"{result['close_latency_mean_s']:.3f} s max {result['close_latency_max_s']:.3f} s, "
                f"RSS {result['peak_rss_mb']:.0f} MB")
        finally:
            analyzer.stop()
        windows = {}
        for line in psql(f"SELECT device, (extract(epoch FROM window_start) * 1000)::bigint, row_count, stats "
                         f"FROM {schema}.window_aggregates").splitlines():
            device, start, count, stats = line.split("\t")
            stats = json.loads(stats)
            windows[(device, int(start))] = (int(count), [
                (stats[m]["min"], stats[m]["max"], stats[m]["mean"]) for m in MEASURES])
        return result, windows

    def run_streams(self, events, rows, i):
        app = f"bench-streams-{self.stamp}-{i}"
        log(f"[kafka streams {i}] draining {events} ({rows:,} JSON events): the same windows in a RocksDB window store")
        state = tempfile.mkdtemp(prefix="bench-streams-", dir=self.args.state_dir)
        dump = os.path.join(self.logs, f"streams-windows-{i}.tsv")
        output = f"{events}_streams_{i}"
        self.topics += [output, f"{app}-{STREAMS_STORE}-changelog"]
        streams = Service("json-streams", ["java", f"-Xmx{self.args.heap or '256m'}", "-cp", self.bench_classpath,
                                           "io.streamingarrow.bench.json.StreamsWindowAggregates",
                                           "--topic", events, "--rows", str(rows), "--application-id", app,
                                           "--state-dir", state, "--output-topic", output, "--out", dump,
                                           "--timeout-s", str(self.args.timeout)],
                          os.path.join(self.logs, f"streams-{i}.log"))
        try:
            streams.wait_line("first", timeout=120)
            t0 = time.time()
            cpu0 = {"streams": cpu_seconds(streams.pid), "kafka": cpu_seconds(self.kafka_pid)}
            streams.wait_line("p10", timeout=self.args.timeout)
            p10 = (time.time(), cpu_seconds(streams.pid))
            streams.wait_line("p90", timeout=self.args.timeout)
            p90 = (time.time(), cpu_seconds(streams.pid))
            streams.wait_line("drained", timeout=self.args.timeout)
            t1 = time.time()
            cpu = {"streams": cpu_seconds(streams.pid) - cpu0["streams"], "kafka": cpu_seconds(self.kafka_pid) - cpu0["kafka"]}
            rss = peak_rss_mb(streams.pid)
            windows_line = streams.wait_line("dumped", timeout=120)
            result = {"rows": rows, "seconds": t1 - t0, "rows_per_s": rows / (t1 - t0), "cpu_s": cpu,
                      "cpu_s_per_million_rows": {k: v / rows * 1e6 for k, v in cpu.items()},
                      "rows_per_cpu_s": rows / cpu["streams"], "rows_per_cpu_s_with_servers": rows / sum(cpu.values()),
                      "steady_rows_per_s": (rows - 2 * (rows // 10)) / (p90[0] - p10[0]),
                      "steady_rows_per_cpu_s": (rows - 2 * (rows // 10)) / (p90[1] - p10[1]),
                      "windows": int(windows_line.split()[1]), "peak_rss_mb": rss,
                      "state_dir_mb": sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(state) for f in fs) / 2**20}
            log(f"  Kafka Streams: {result['rows_per_s']:,.0f} rows/s, {result['rows_per_cpu_s']:,.0f} rows per "
                f"CPU-second ({cpu['streams'] / rows * 1e6:.2f} CPU-s per M rows), RSS {rss:.0f} MB")
        finally:
            streams.stop()
            shutil.rmtree(state, ignore_errors=True)
        windows = {}
        with open(dump) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                values = [float(v) for v in fields[3:]]
                windows[(fields[0], int(fields[1]))] = (int(fields[2]), [tuple(values[k:k + 3]) for k in range(0, 12, 3)])
        return result, windows

    # ---- clean-up and report

    def clean_up(self):
        if self.args.keep:
            log(f"kept topics {self.topics}, tables {self.tables}, PostgreSQL schemas {self.schemas}")
            return
        for table in self.tables:
            try:
                ch(f"DROP TABLE IF EXISTS {table}")
            except RuntimeError as e:
                log(f"could not drop {table}: {e}")
        for schema in self.schemas:
            try:
                psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            except subprocess.CalledProcessError as e:
                log(f"could not drop schema {schema}: {e.stderr}")
        if self.topics:
            # The dead-letter topics exist only if something was sent there; BenchTopics skips absent ones.
            self.bench_tool("BenchTopics", "delete", *self.topics, *[t + "_dlq" for t in self.topics if "_arrow_" in t
                                                                     or "_fresh_" in t])

    def report(self):
        reps = self.reps
        figure = lambda phase, key: [r[phase][key] for r in reps if phase in r]
        # A ratio is taken in every repetition that ran both of its phases (--phases may leave some out).
        per_rep = lambda phases, fn: [fn(r) for r in reps if all(p in r for p in phases)]
        with_ceiling, with_json = ("ours", "ceiling"), ("ours", "json")
        ratios = {
            "ours_over_ceiling_rows_per_s": per_rep(with_ceiling, lambda r: r["ours"]["rows_per_s"] / r["ceiling"]["rows_per_s"]),
            "ours_steady_over_ceiling_rows_per_s": per_rep(
                with_ceiling, lambda r: r["ours"]["steady_rows_per_s"] / r["ceiling"]["rows_per_s"]),
            "ours_over_json_rows_per_cpu_s": per_rep(with_json, lambda r: r["ours"]["rows_per_cpu_s"] / r["json"]["rows_per_cpu_s"]),
            "ours_over_json_rows_per_s": per_rep(with_json, lambda r: r["ours"]["rows_per_s"] / r["json"]["rows_per_s"]),
            "json_bytes_over_ours": per_rep(with_json, lambda r: r["json"]["kafka_bytes_per_row"] / r["ours"]["kafka_bytes_per_row"]),
            "json_document_bytes_over_ours": per_rep(
                with_json, lambda r: r["json"]["json_document_bytes_per_row"] / r["ours"]["kafka_bytes_per_row"]),
            "clickhouse_cpu_ours_over_ceiling": per_rep(with_ceiling,
                lambda r: r["ours"]["cpu_s_per_million_rows"]["clickhouse"] / r["ceiling"]["cpu_s_per_million_rows"]["clickhouse"]),
        }
        machine = {"cores": os.cpu_count(), "clickhouse": self.server_version, "kernel": os.uname().release,
                   "java": subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]}
        results = {"repetitions": reps, "analysis": self.analysis, "ratios": ratios, "machine": machine,
                   "settings": {k: v for k, v in vars(self.args).items() if k != "out"},
                   "jvm_options": {m: service_jvm_options(m) for m in ("producer", "sink", "analyzer")},
                   "environment": {m: service_environment(m) for m in ("producer", "sink", "analyzer")}}

        lines = []
        add = lines.append
        loads = ", ".join(f"{r['load_before']:.1f}-{r.get('load_after', float('nan')):.1f}" for r in reps)
        add(f"Streaming Arrow pipeline benchmark, {self.stamp} UTC, {os.cpu_count()} cores, ClickHouse {self.server_version}, "
            + ("services as native executables" if self.args.runtime == "native" else "services on the JVM"))
        add(f"{len(reps)} repetitions of {self.args.rows:,} rows; each cell: median (lowest-highest); "
            f"load average (1 min) before-after each repetition: {loads}")
        add("")
        w = 27
        add(f"{'':38}{'ceiling':>{w}}{'Streaming Arrow':>{w}}{'JSON per event':>{w}}  ratio (per repetition)")
        def row(name, cells, ratio=""):
            add(f"{name:38}" + "".join(f"{c:>{w}}" for c in cells) + ("  " + ratio if ratio else ""))
        row("rows/s end to end, whole run", [spread(figure("ceiling", "rows_per_s"), "rate"),
                                             spread(figure("ours", "rows_per_s"), "rate"),
                                             spread(figure("json", "rows_per_s"), "rate")],
            f"ours/ceiling {spread(ratios['ours_over_ceiling_rows_per_s'], 'x')}  (target >= 0.5)")
        row("rows/s, steady state (10-90 % rows)", ["", spread(figure("ours", "steady_rows_per_s"), "rate"),
                                                    spread(figure("json", "steady_rows_per_s"), "rate")],
            f"ours/ceiling {spread(ratios['ours_steady_over_ceiling_rows_per_s'], 'x')}")
        row("first rows queryable after, s", ["", spread(figure("ours", "first_rows_after_s"), "f1"),
                                              spread(figure("json", "first_rows_after_s"), "f1")])
        row("rows per CPU-second, whole path", [spread(figure("ceiling", "rows_per_cpu_s"), "rate"),
                                                spread(figure("ours", "rows_per_cpu_s"), "rate"),
                                                spread(figure("json", "rows_per_cpu_s"), "rate")],
            f"ours/JSON {spread(ratios['ours_over_json_rows_per_cpu_s'], 'x')}  (target >= 5)")
        row("Kafka bytes per row", ["", spread(figure("ours", "kafka_bytes_per_row"), "f1"),
                                    spread(figure("json", "kafka_bytes_per_row"), "f1")],
            f"JSON/ours {spread(ratios['json_bytes_over_ours'], 'x')}")
        row("  JSON before Kafka's compression", ["", "", spread(figure("json", "json_document_bytes_per_row"), "f1")],
            f"JSON/ours {spread(ratios['json_document_bytes_over_ours'], 'x')}")
        add("CPU-seconds per million rows")
        for name in ("producer", "sink", "json-producer", "json-loader", "kafka", "clickhouse"):
            cell = lambda phase: spread([r[phase]["cpu_s_per_million_rows"].get(name) for r in reps
                                         if phase in r and name in r[phase]["cpu_s_per_million_rows"]], "f2")
            row(f"  {name}", [cell("ceiling") if name == "clickhouse" else "", cell("ours"), cell("json")],
                f"ClickHouse ours/ceiling {spread(ratios['clickhouse_cpu_ours_over_ceiling'], 'x')}"
                if name == "clickhouse" else "")
        add("Peak RSS (VmHWM), MB")
        for name in ("producer", "sink", "json-producer", "json-loader"):
            cell = lambda phase: spread([r[phase]["peak_rss_mb"].get(name) for r in reps
                                         if phase in r and name in r[phase]["peak_rss_mb"]], "int")
            row(f"  {name}", ["", cell("ours"), cell("json")], "target <= 256" if name in ("producer", "sink") else "")
        fresh = [r["freshness"] for r in reps if "freshness" in r]
        if fresh:
            add(f"Freshness at {fresh[0]['rate']:,} rows/s (event time -> queryable, "
                f"{spread([f['rows_timed'] for f in fresh], 'int')} of {fresh[0]['rate'] * self.args.fresh_seconds:,} rows timed "
                f"after {fresh[0]['warmup_s']} s of warm-up): p50 {spread([f['p50_s'] for f in fresh], 'f2')} s, "
                f"p99 {spread([f['p99_s'] for f in fresh], 'f2')} s, max {spread([f['max_s'] for f in fresh], 'f2')} s "
                "(target p99 <= 1 s)")
        if any(len(r.get("transports", [])) > 1 for r in reps):
            add("")
            add("Sink transports at full speed (interleaved within each repetition)")
            add(f"  {'transport':14}{'rows/s':>24}{'sink CPU-s/M rows':>24}{'sink RSS MB':>20}")
            for t in self.args.transports.split(","):
                runs = [x for r in reps for x in r.get("transports", []) if x["transport"] == t]
                add(f"  {t:14}{spread([x['rows_per_s'] for x in runs], 'rate'):>24}"
                    f"{spread([x['cpu_s_per_million_rows']['sink'] for x in runs], 'f2'):>24}"
                    f"{spread([x['peak_rss_mb']['sink'] for x in runs], 'int'):>20}")
        if self.analysis:
            a = [x["analyzer"] for x in self.analysis]
            s = [x["streams"] for x in self.analysis]
            loads = ", ".join(f"{x['load_before']:.1f}-{x['load_after']:.1f}" for x in self.analysis)
            add("")
            add(f"Analyzer against Kafka Streams: draining {a[0]['rows']:,} rows (the first repetition's full-speed topic; "
                f"the same events as JSON per event for Kafka Streams), {len(a)} times each; load {loads}")
            row("", ["analyzer", "Kafka Streams", ""], "")
            row("rows/s", [spread([x["rows_per_s"] for x in a], "rate"), spread([x["rows_per_s"] for x in s], "rate"), ""],
                f"analyzer/Streams {spread([x['rows_per_s'] / y['rows_per_s'] for x, y in zip(a, s)], 'x')}")
            row("rows/s, steady state (10-90 %)", [spread([x["steady_rows_per_s"] for x in a], "rate"),
                                                   spread([x["steady_rows_per_s"] for x in s], "rate"), ""])
            row("rows per CPU-second (the application)", [spread([x["rows_per_cpu_s"] for x in a], "rate"),
                                                          spread([x["rows_per_cpu_s"] for x in s], "rate"), ""],
                f"analyzer/Streams {spread([x['rows_per_cpu_s'] / y['rows_per_cpu_s'] for x, y in zip(a, s)], 'x')}"
                "  (target >= 10)")
            row("  steady state (10-90 % of the rows)", [spread([x["steady_rows_per_cpu_s"] for x in a], "rate"),
                                                        spread([x["steady_rows_per_cpu_s"] for x in s], "rate"), ""],
                f"analyzer/Streams {spread([x['steady_rows_per_cpu_s'] / y['steady_rows_per_cpu_s'] for x, y in zip(a, s)], 'x')}")
            row("  with Kafka (and PostgreSQL)", [spread([x["rows_per_cpu_s_with_servers"] for x in a], "rate"),
                                                  spread([x["rows_per_cpu_s_with_servers"] for x in s], "rate"), ""],
                f"analyzer/Streams {spread([x['rows_per_cpu_s_with_servers'] / y['rows_per_cpu_s_with_servers'] for x, y in zip(a, s)], 'x')}")
            for name in ("analyzer", "streams", "kafka", "postgres"):
                ca = [x["cpu_s_per_million_rows"].get(name) for x in a if name in x["cpu_s_per_million_rows"]]
                cs = [x["cpu_s_per_million_rows"].get(name) for x in s if name in x["cpu_s_per_million_rows"]]
                if ca or cs:
                    row(f"  CPU-s per M rows: {name}", [spread(ca, "f2") if ca else "", spread(cs, "f2") if cs else "", ""])
            row("peak RSS, MB", [spread([x["peak_rss_mb"] for x in a], "int"), spread([x["peak_rss_mb"] for x in s], "int"), ""])
            row("window close latency, mean / max s", [
                f"{spread([x['close_latency_mean_s'] for x in a], 'f2')} / {spread([x['close_latency_max_s'] for x in a], 'f2')}",
                "(no close: updates)", ""], "after the watermark passes the window's end: stored and published")
            row("last windows stored after last row, s", [spread([x["all_windows_stored_after_last_row_s"] for x in a], "f1"),
                                                          "", ""], "idle timeout 15 s by default")
            row("windows", [spread([x["windows"] for x in a], "int"), spread([x["windows"] for x in s], "int"), ""])
            for x in self.analysis:
                add(f"  repetition {x['repetition']}: same aggregates: {x['agreement']['summary']}")
        table_text = "\n".join(lines)
        print()
        print(table_text)

        base = os.path.join(self.out, f"pipeline-{self.stamp}")
        with open(base + ".json", "w") as f:
            json.dump(results, f, indent=2)
        with open(base + ".csv", "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["repetition", "phase", "figure", "value"])
            for r in reps:
                for phase in ("ours", "ceiling", "json", "freshness"):
                    for key, value in (r.get(phase) or {}).items():
                        if isinstance(value, dict):
                            for k, v in value.items():
                                out.writerow([r["repetition"], phase, f"{key}.{k}", v])
                        elif not isinstance(value, list):
                            out.writerow([r["repetition"], phase, key, value])
            for x in self.analysis:
                for phase in ("analyzer", "streams"):
                    for key, value in x[phase].items():
                        if isinstance(value, dict):
                            for k, v in value.items():
                                out.writerow([x["repetition"], phase, f"{key}.{k}", v])
                        else:
                            out.writerow([x["repetition"], phase, key, value])
        with open(base + ".txt", "w") as f:
            f.write(table_text + "\n")
        ceilings = figure("ceiling", "rows_per_s")
        if self.series and ceilings:
            chart(base, self.series, ceilings[0], self.stamp)
        print(f"\nresults: {base}.txt .json .csv .svg" + (" .png" if os.path.exists(base + ".png") else ""))


MEASURES = ("cpu_used", "cpu_free", "memory_used", "memory_free")
STREAMS_STORE = "window-stats"


def prometheus(port):
    """A service's /q/metrics as {name: value}, summed over label sets."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/metrics", timeout=5) as r:
            text = r.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError):
        return {}
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        name = name.split("{", 1)[0]
        try:
            values[name] = values.get(name, 0) + float(value)
        except ValueError:
            pass
    return values


def compare_windows(ours, theirs, tolerance=1e-9):
    """Window by window: the same windows, the same counts, min and max exactly (both fold the same float32
    values), means within a relative tolerance (sums in double, in different orders)."""
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    differing, worst = [], 0.0
    for key in set(ours) & set(theirs):
        (c1, m1), (c2, m2) = ours[key], theirs[key]
        bad = c1 != c2
        for (lo1, hi1, mean1), (lo2, hi2, mean2) in zip(m1, m2):
            bad |= lo1 != lo2 or hi1 != hi2
            diff = abs(mean1 - mean2) / max(abs(mean2), 1e-300)
            worst = max(worst, diff)
            bad |= diff > tolerance
        if bad:
            differing.append(key)
    rows = sum(c for c, _ in theirs.values())
    same = not missing and not extra and not differing
    summary = (f"{'yes' if same else 'NO'}: {len(ours):,} analyzer windows, {len(theirs):,} Kafka Streams windows "
               f"({rows:,} rows); {len(missing)} missing, {len(extra)} extra, {len(differing)} differing; "
               f"largest relative difference of a mean {worst:.1e}")
    if differing:
        key = differing[0]
        summary += f"; first differing {key}: analyzer {ours[key]}, Kafka Streams {theirs[key]}"
    return {"same": same, "summary": summary, "missing": len(missing), "extra": len(extra),
            "differing": len(differing), "worst_mean_relative_difference": worst}


# ------------------------------------------------------------------ chart: SVG, and PNG through headless Chromium

def chart(base, series, ceiling_rate, stamp):
    width, height, left, bottom, top, right = 900, 420, 80, 50, 40, 20
    rates = {}
    for name, points in series.items():
        # rows/s over sliding 1 s windows of the count samples
        out = []
        for i, (t, c) in enumerate(points):
            j = i
            while j > 0 and t - points[j - 1][0] <= 1.0:
                j -= 1
            if j < i and t - points[j][0] > 0:
                out.append((t, (c - points[j][1]) / (t - points[j][0])))
        rates[name] = out
    t_max = max([p[0] for pts in rates.values() for p in pts] + [1])
    r_max = max([p[1] for pts in rates.values() for p in pts] + [ceiling_rate]) * 1.1
    sx = lambda t: left + (width - left - right) * t / t_max
    sy = lambda r: height - bottom - (height - top - bottom) * r / r_max
    colors = {"ours": "#1f77b4", "json": "#d62728"}
    labels = {"ours": "Streaming Arrow", "json": "JSON per event"}
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="15">Rows queryable in ClickHouse per second (1 s windows), run {stamp}</text>']
    for k in range(6):
        r = r_max * k / 5
        svg.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(r):.1f}" y2="{sy(r):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{sy(r) + 4:.1f}" text-anchor="end">{r / 1000:,.0f}k</text>')
    for k in range(6):
        t = t_max * k / 5
        svg.append(f'<text x="{sx(t):.1f}" y="{height - bottom + 18}" text-anchor="middle">{t:.0f} s</text>')
    svg.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(ceiling_rate):.1f}" y2="{sy(ceiling_rate):.1f}" '
               f'stroke="#2ca02c" stroke-dasharray="6 4"/>')
    svg.append(f'<text x="{width - right - 4}" y="{sy(ceiling_rate) - 6:.1f}" text-anchor="end" fill="#2ca02c">'
               f'ClickHouse Native bulk insert (ceiling), {ceiling_rate / 1000:,.0f}k rows/s</text>')
    for i, (name, pts) in enumerate(rates.items()):
        if pts:
            path = " ".join(f"{sx(t):.1f},{sy(r):.1f}" for t, r in pts)
            svg.append(f'<polyline fill="none" stroke="{colors[name]}" stroke-width="2" points="{path}"/>')
        svg.append(f'<rect x="{left + 10}" y="{top + 8 + i * 18}" width="12" height="4" fill="{colors[name]}"/>')
        svg.append(f'<text x="{left + 28}" y="{top + 14 + i * 18}">{labels[name]}</text>')
    svg.append(f'<text x="{(left + width) / 2}" y="{height - 10}" text-anchor="middle">seconds since the first sample</text>')
    svg.append("</svg>")
    with open(base + ".svg", "w") as f:
        f.write("\n".join(svg))
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--window-size={width},{height}", f"--screenshot={base}.png", "file://" + base + ".svg"],
                       capture_output=True, timeout=60)


def hot_methods(recording, top=12):
    """Where a JFR recording's CPU samples are: the top frame of each sample (self time), and the
    innermost frame of our own code (io.streamingarrow) for time spent below it."""
    printed = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", recording],
                             capture_output=True, text=True)
    if printed.returncode != 0:
        return f"(jfr print failed: {printed.stderr.strip()[:200]})"
    events = json.loads(printed.stdout)["recording"]["events"]
    self_time, ours = {}, {}
    for event in events:
        frames = (event["values"].get("stackTrace") or {}).get("frames") or []
        if not frames:
            continue
        # JFR spells classes with slashes (io/streamingarrow/...).
        name = lambda f: f["method"]["type"]["name"].replace("/", ".").rsplit(".", 1)[-1] + "." + f["method"]["name"]
        self_time[name(frames[0])] = self_time.get(name(frames[0]), 0) + 1
        own = next((f for f in frames if f["method"]["type"]["name"].replace("/", ".").startswith("io.streamingarrow")), None)
        key = name(own) if own else "(outside our code: " + name(frames[-1]) + ")"
        ours[key] = ours.get(key, 0) + 1
    total = max(1, len(events))
    lines = [f"  {len(events)} samples"]
    lines.append("  self time (top frame):")
    lines += [f"    {n * 100 / total:5.1f}%  {m}" for m, n in sorted(self_time.items(), key=lambda x: -x[1])[:top]]
    lines.append("  under our code (innermost io.streamingarrow frame):")
    lines += [f"    {n * 100 / total:5.1f}%  {m}" for m, n in sorted(ours.items(), key=lambda x: -x[1])[:top]]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of every phase in this invocation (default 3); figures are their medians")
    parser.add_argument("--rows", type=int, default=24_000_000,
                        help="rows per full-speed run, also drained by the analyzer and Kafka Streams (default "
                             "24,000,000: at 6,000,000 a quiet 2-core machine finishes in 10 s, and the JIT compilers "
                             "took 37-42 %% of each service's CPU in such a run)")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=4, help="partitions of each benchmark topic")
    parser.add_argument("--fresh-rate", type=int, default=100_000, help="rows/s of the freshness run")
    parser.add_argument("--fresh-seconds", type=int, default=15, help="seconds of the freshness run that are timed")
    parser.add_argument("--fresh-warmup", type=int, default=5, help="seconds of it before that (JIT warm-up), not timed")
    parser.add_argument("--fresh-window", type=int, default=FRESHNESS_WINDOW_S,
                        help="seconds of event time the freshness poll reads: a row landing later is not timed")
    parser.add_argument("--ceiling-insert-rows", type=int, default=500_000)
    parser.add_argument("--json-compression", default="zstd", help="Kafka compression of the JSON baseline")
    parser.add_argument("--heap", default=None,
                        help="-Xmx of every JVM the benchmark starts; by default the services run with their deployed "
                             "JVM options (quarkus.kubernetes.env.vars.jdk-java-options) and the baselines with 256m")
    parser.add_argument("--timeout", type=int, default=240, help="seconds a run may take before it fails")
    parser.add_argument("--producer-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration property for the producer, e.g. producer.batching.max-rows=10000")
    parser.add_argument("--sink-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration property for the sink, e.g. sink.insert.linger=500ms")
    parser.add_argument("--analyzer-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration property for the analyzer")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's topics, tables and schemas")
    parser.add_argument("--profile", action="store_true",
                        help="record producer, sink (first full-speed run) and analyzer (first drain) with JFR and print "
                             "where their CPU goes")
    parser.add_argument("--nmt", action="store_true",
                        help="run the services with Native Memory Tracking and write its summary at full speed "
                             "(results/logs-*/nmt-*.txt)")
    parser.add_argument("--state-dir", default=None, help="where Kafka Streams keeps its RocksDB stores (default: /tmp)")
    parser.add_argument("--out", default=os.path.join(REPO, "deploy/bench/results"))
    parser.add_argument("--phases", default="ours,ceiling,json,freshness,analyzer",
                        help="which phases run (ceiling and analyzer need ours)")
    parser.add_argument("--runtime", choices=("jvm", "native"), default="jvm",
                        help="run the three services on the JVM (their deployed JDK_JAVA_OPTIONS) or as the native "
                             "executables in <service>/target/*-runner (deploy/native/build.sh), with the same "
                             "properties and -Xmx; --profile and --nmt apply to the JVM only")
    parser.add_argument("--transports", default="java-client",
                        help="sink transports (sink.clickhouse.transport) of the full-speed run, each in turn within a "
                             "repetition, e.g. java-client,vertx; the first is the one the main table reports")
    args = parser.parse_args()
    if args.runtime == "native":
        if args.nmt or args.profile:
            parser.error("--nmt and --profile need the JVM (--runtime jvm)")
        try:
            for module in ("producer", "sink", "analyzer"):
                native_executable(module)  # before anything starts
        except RuntimeError as e:
            parser.error(str(e))
    bench = Bench(args)
    phases = bench.args.phases.split(",")
    try:
        bench.run_repetitions()
        if "analyzer" in phases:
            bench.run_analysis()
        if bench.args.profile:
            for name in ("producer-throughput-1", "sink-throughput-1", "analyzer"):
                recording = os.path.join(bench.logs, f"{name}.jfr")
                if os.path.exists(recording):
                    print(f"\nwhere the {name.split('-')[0]}'s CPU went at full speed ({recording}):")
                    print(hot_methods(recording))
        bench.report()
    finally:
        bench.clean_up()


if __name__ == "__main__":
    main()
