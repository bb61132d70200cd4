#!/usr/bin/env python3
"""End-to-end benchmark of Streaming Arrow on the local stack (run through deploy/bench/pipeline-bench.sh).

One run, one phase after the other, on the same machine and servers:
  1. ours       the producer's fleet at full speed -> producer -> Kafka -> sink -> ClickHouse, ROWS rows
  2. freshness  the same path at a fixed moderate rate: event time -> queryable in ClickHouse, per row
  3. ceiling    ClickHouse's own bulk insert (Native over HTTP, large inserts) of exactly the rows of 1
  4. json       the same events as one JSON message each -> Kafka -> JSONEachRow inserts of the sink's size

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

class Bench:

    def __init__(self, args):
        self.args = args
        self.stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        self.logs = os.path.join(self.out, f"logs-{self.stamp}")
        os.makedirs(self.logs, exist_ok=True)
        self.kafka_pid = pid_file(os.path.join(HOME, "kafka", "kafka.pid"))
        self.clickhouse_pid = pid_file(os.path.join(HOME, "clickhouse", "clickhouse.pid"))
        with open(os.path.join(self.out, ".classpath")) as f:
            self.bench_classpath = os.path.join(REPO, "deploy/jmh/target/classes") + ":" + f.read().strip()
        self.topics, self.tables = [], []
        self.results = {}
        self.series = {}
        self.peak_rss = {}
        self.server_version = ch_text("SELECT version()")

    # ---- helpers

    def java(self, *arguments, heap="256m", profile=None):
        # Out of heap, a service exits (as the deployed ones do) and the run fails loudly instead of stalling.
        flags = ["--add-opens=java.base/java.nio=ALL-UNNAMED", f"-Xmx{heap}", "-XX:+ExitOnOutOfMemoryError"]
        if profile:
            flags.append(f"-XX:StartFlightRecording=filename={profile},settings=profile,dumponexit=true")
        return ["java", *flags, *arguments]

    def bench_tool(self, main, *arguments):
        return subprocess.run(["java", "-cp", self.bench_classpath, f"io.streamingarrow.bench.json.{main}", *arguments],
                              check=True, capture_output=True, text=True, cwd=REPO).stdout.strip()

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
            "-jar", jar, heap=self.args.heap, profile=self.recording("producer", tag)),
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
            "-jar", jar, heap=self.args.heap, profile=self.recording("sink", tag)),
            os.path.join(self.logs, f"sink-{tag}.log"))

    def recording(self, service, tag):
        """With --profile, the full-speed run is recorded with JDK Flight Recorder (summarised at the end)."""
        return os.path.join(self.logs, f"{service}-{tag}.jfr") if self.args.profile and tag == "throughput" else None

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

    def path_cost(self, name, table, rows, start_cpu, samples, services, topic):
        # Whole-run figures: a middle-of-the-run window would leave out a producer that finished early
        # (Kafka holds what the sink has not read yet), so the run is made long enough instead (--rows).
        """Common figures of a pipeline run: end-to-end rate, CPU per service, bytes per row, peak RSS."""
        first_event = int(ch_text(f"SELECT min({ts_micros_expression(table)}) FROM {table}")) / 1e6
        end_time, count, end_cpu = samples[-1]
        elapsed = end_time - first_event
        cpu = {k: end_cpu[k] - start_cpu[k] for k in start_cpu}
        kafka_bytes = int(self.bench_tool("BenchTopics", "bytes", topic))
        result = {
            "rows": count,
            "seconds": elapsed,
            "rows_per_s": count / elapsed,
            "cpu_s": cpu,
            "cpu_s_total": sum(cpu.values()),
            "cpu_s_per_million_rows": {k: v / count * 1e6 for k, v in cpu.items()},
            "rows_per_cpu_s": count / sum(cpu.values()),
            "kafka_bytes_per_row": kafka_bytes / count,
            "peak_rss_mb": {s.name: max(self.peak_rss.get(s.name, 0), peak_rss_mb(s.pid)) for s in services},
        }
        self.results[name] = result
        return result

    def throughput_series(self, name, samples, t0):
        points = []
        for (t1, c1, _), (t2, c2, _) in zip(samples, samples[1:]):
            points.append((t2 - t0, c2))
        self.series[name] = points

    # ---- phase 1: ours at full speed

    def run_ours(self):
        """The full-speed run, once per sink transport and round (A B A B ...: interleaved, so a noisy
        neighbour hits both); the first run of the first transport is the one the main table reports."""
        transports = self.args.transports.split(",")
        runs = [(r, t) for r in range(1, self.args.rounds + 1) for t in transports]
        self.transport_runs = []
        for i, (round_, transport) in enumerate(runs):
            result = self.run_ours_once(transport, round_, f"{i + 1}/{len(runs)}")
            self.transport_runs.append({"transport": transport, "round": round_, **result})
            if i == 0:
                self.results["ours"] = result
        self.results["transports"] = self.transport_runs
        if len(runs) > 1:
            print()
            print(self.transport_table())
            print()

    def run_ours_once(self, transport, round_, which):
        rows = self.args.rows
        log(f"[1/4] Streaming Arrow ({which}: sink transport {transport}, round {round_}): {rows:,} fleet rows at "
            "full speed -> producer -> Kafka -> sink -> ClickHouse")
        name = f"arrow_{transport.replace('-', '')}_{round_}"
        topic, table = self.topic(name), self.table(name)
        tag = "throughput" if not hasattr(self, "ours_table") else f"throughput-{transport}-{round_}"
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
            samples = self.watch(table, rows, pids, self.args.timeout, must_run=(sink,))
            result = self.path_cost(name, table, rows, start, samples, [producer, sink], topic)
            if not hasattr(self, "ours_table"):
                self.throughput_series("ours", samples, samples[0][0])
                self.ours_table = table
            log(f"  {result['rows_per_s']:,.0f} rows/s end to end, {result['rows_per_cpu_s']:,.0f} rows per CPU-second, "
                f"sink {result['cpu_s_per_million_rows']['sink']:.2f} CPU-s per M rows, "
                f"sink RSS {result['peak_rss_mb']['sink']:.0f} MB, {result['kafka_bytes_per_row']:.1f} Kafka bytes/row")
            return result
        finally:
            for service in (producer, sink):
                if service:
                    service.stop()

    def transport_table(self):
        """The full-speed runs side by side, one row per run, in the order they ran."""
        lines = [f"Sink transports at full speed ({self.args.rows:,} rows a run, runs interleaved)",
                 f"  {'transport':14}{'round':>6}{'rows/s':>11}{'sink CPU-s/M rows':>19}{'sink RSS MB':>13}"
                 f"{'path CPU-s/M rows':>19}"]
        for run in self.transport_runs:
            lines.append(f"  {run['transport']:14}{run['round']:>6}{run['rows_per_s']:>11,.0f}"
                         f"{run['cpu_s_per_million_rows']['sink']:>19.2f}{run['peak_rss_mb']['sink']:>13.0f}"
                         f"{run['cpu_s_total'] / run['rows'] * 1e6:>19.2f}")
        return "\n".join(lines)

    # ---- phase 2: freshness at a moderate rate

    def run_freshness(self):
        rate, seconds, warmup = self.args.fresh_rate, self.args.fresh_seconds, self.args.fresh_warmup
        rows = rate * (warmup + seconds)
        log(f"[2/4] freshness: {rate:,} rows/s for {warmup}s of warm-up, then {seconds}s timed: "
            "event time -> queryable in ClickHouse")
        topic, table = self.topic("fresh"), self.table("fresh")
        sink = self.sink(topic, table, "freshness")
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
                f"WHERE ts >= toDateTime({int(now) - FRESHNESS_WINDOW_S}) GROUP BY kafka_partition, kafka_offset, bucket "
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
            producer = self.producer(topic, rows, rate, "freshness")
            producer.wait_log("sensor fleet:")
            state["timed_from_ms"] = (time.time() + warmup) * 1000
            pids = {"producer": producer.pid, "sink": sink.pid}
            self.watch(table, rows, pids, seconds + self.args.timeout, every=0.2, on_tick=on_tick, must_run=(sink,))
            on_tick(time.time())
        finally:
            for service in (producer, sink):
                if service:
                    service.stop()
        counted = sum(histogram.values())

        def percentile(q):
            target, running = q * counted, 0
            for age in sorted(histogram):
                running += histogram[age]
                if running >= target:
                    return age / 1000
            return float("nan")

        self.results["freshness"] = {"rate": rate, "rows": rows, "rows_timed": counted, "warmup_s": warmup,
                                     "p50_s": percentile(0.5), "p99_s": percentile(0.99), "max_s": percentile(1.0)}
        log(f"  p50 {percentile(0.5):.2f}s, p99 {percentile(0.99):.2f}s, max {percentile(1.0):.2f}s over {counted:,} rows")

    # ---- phase 3: ClickHouse's own ceiling

    def run_ceiling(self):
        rows = self.results["ours"]["rows"]
        chunks = max(1, math.ceil(rows / self.args.ceiling_insert_rows))
        log(f"[3/4] ClickHouse ceiling: the same {rows:,} rows as {chunks} Native inserts over HTTP, 2 at a time")
        table = self.table("ceiling")
        ch(f"CREATE TABLE {table} AS {self.ours_table}")
        spool = tempfile.mkdtemp(prefix="bench-native-")
        try:
            files = []
            for i in range(chunks):
                path = os.path.join(spool, f"{i}.native")
                with open(path, "wb") as f:
                    f.write(ch(f"SELECT * FROM {self.ours_table} WHERE kafka_row % {chunks} = {i} FORMAT Native"))
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
        self.results["ceiling"] = {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed,
                                   "cpu_s_total": cpu, "rows_per_cpu_s": rows / cpu if cpu else float("nan"),
                                   "native_bytes_per_row": native_bytes / rows}
        log(f"  {rows / elapsed:,.0f} rows/s")

    # ---- phase 4: JSON per event

    def run_json(self):
        rows = self.args.rows
        log(f"[4/4] JSON per event: the same {rows:,} fleet events, one JSON message each -> Kafka -> JSONEachRow")
        topic, table = self.topic("json"), self.table("json")
        ch(f"CREATE TABLE {table} (device String, ts_us Int64, cpu_used Float32, cpu_free Float32, "
           "memory_used Float32, memory_free Float32, run_elapsed_ms Int32) ENGINE = MergeTree() ORDER BY (device, ts_us)")
        base = ["java", f"-Xmx{self.args.heap}", "-cp", self.bench_classpath]
        loader = Service("json-loader", base + [
            "io.streamingarrow.bench.json.JsonEachRowLoader", "--topic", topic, "--table", f"{DATABASE}.{table}",
            "--rows", str(rows), "--group", f"bench-json-{self.stamp}",
            "--insert-rows", "100000", "--linger-ms", "1000", "--in-flight", "2"],
            os.path.join(self.logs, "json-loader.log"))
        producer = None
        try:
            loader.wait_line("ready")
            start = {"kafka": cpu_seconds(self.kafka_pid), "clickhouse": cpu_seconds(self.clickhouse_pid),
                     "json-loader": cpu_seconds(loader.pid)}
            producer = Service("json-producer", base + [
                "io.streamingarrow.bench.json.JsonEventProducer", "--topic", topic, "--rows", str(rows),
                "--devices", str(self.args.devices), "--compression", self.args.json_compression],
                os.path.join(self.logs, "json-producer.log"))
            producer.wait_line("started")
            start["json-producer"] = cpu_seconds(producer.pid)
            pids = {"json-producer": producer.pid, "json-loader": loader.pid, "kafka": self.kafka_pid,
                    "clickhouse": self.clickhouse_pid}
            self.peak_rss.clear()
            samples = self.watch(table, rows, pids, self.args.timeout, must_run=(loader,))
            result = self.path_cost("json", table, rows, start, samples, [producer, loader], topic)
            done = producer.wait_line("done").split()
            result["json_document_bytes_per_row"] = int(done[2]) / int(done[1])
            self.throughput_series("json", samples, samples[0][0])
            log(f"  {result['rows_per_s']:,.0f} rows/s end to end, {result['rows_per_cpu_s']:,.0f} rows per CPU-second, "
                f"{result['kafka_bytes_per_row']:.1f} Kafka bytes/row")
        finally:
            for service in (producer, loader):
                if service:
                    service.stop()

    # ---- clean-up and report

    def clean_up(self):
        if self.args.keep:
            log(f"kept topics {self.topics} and tables {self.tables}")
            return
        for table in self.tables:
            try:
                ch(f"DROP TABLE IF EXISTS {table}")
            except RuntimeError as e:
                log(f"could not drop {table}: {e}")
        if self.topics:
            # The dead-letter topics exist only if something was sent there; BenchTopics skips absent ones.
            self.bench_tool("BenchTopics", "delete", *self.topics, *[t + "_dlq" for t in self.topics])

    def report(self):
        r = self.results
        ours, json_, ceiling, fresh = r["ours"], r["json"], r["ceiling"], r["freshness"]
        ratios = {
            "ours_over_ceiling_rows_per_s": ours["rows_per_s"] / ceiling["rows_per_s"],
            "ours_over_json_rows_per_cpu_s": ours["rows_per_cpu_s"] / json_["rows_per_cpu_s"],
            "ours_over_json_rows_per_s": ours["rows_per_s"] / json_["rows_per_s"],
            "json_bytes_over_ours": json_["kafka_bytes_per_row"] / ours["kafka_bytes_per_row"],
            "json_document_bytes_over_ours": json_["json_document_bytes_per_row"] / ours["kafka_bytes_per_row"],
        }
        r["ratios"] = ratios
        r["machine"] = {"cores": os.cpu_count(), "clickhouse": self.server_version,
                        "kernel": os.uname().release, "java": subprocess.run(
                            ["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]}
        r["settings"] = {k: v for k, v in vars(self.args).items() if k != "out"}

        lines = []
        add = lines.append
        add(f"Streaming Arrow pipeline benchmark, {self.stamp} UTC, {os.cpu_count()} cores, ClickHouse {self.server_version}")
        add("")
        add(f"{'':34}{'ceiling':>14}{'Streaming Arrow':>17}{'JSON per event':>16}{'ratio':>10}  target")
        add(f"{'rows/s end to end':34}{ceiling['rows_per_s']:>14,.0f}{ours['rows_per_s']:>17,.0f}{json_['rows_per_s']:>16,.0f}"
            f"{ratios['ours_over_ceiling_rows_per_s']:>9.2f}x  ours/ceiling >= 0.5")
        add(f"{'rows per CPU-second (whole path)':34}{ceiling['rows_per_cpu_s']:>14,.0f}{ours['rows_per_cpu_s']:>17,.0f}"
            f"{json_['rows_per_cpu_s']:>16,.0f}{ratios['ours_over_json_rows_per_cpu_s']:>9.1f}x  ours/JSON >= 5")
        add(f"{'Kafka bytes per row':34}{'':>14}{ours['kafka_bytes_per_row']:>17.1f}{json_['kafka_bytes_per_row']:>16.1f}"
            f"{ratios['json_bytes_over_ours']:>9.1f}x  JSON/ours >= 8")
        add(f"{'  JSON before Kafka compression':34}{'':>14}{'':>17}{json_['json_document_bytes_per_row']:>16.1f}"
            f"{ratios['json_document_bytes_over_ours']:>9.1f}x")
        add("")
        add("CPU-seconds per million rows")
        for name in ("producer", "sink", "json-producer", "json-loader", "kafka", "clickhouse"):
            o, j = ours["cpu_s_per_million_rows"].get(name), json_["cpu_s_per_million_rows"].get(name)
            add(f"  {name:32}{'':>14}{'' if o is None else f'{o:.2f}':>17}{'' if j is None else f'{j:.2f}':>16}")
        add("Peak RSS (VmHWM), MB" + " " * 14 + "target <= 256 each")
        for name, mb in list(ours["peak_rss_mb"].items()) + list(json_["peak_rss_mb"].items()):
            add(f"  {name:32}{'':>14}{mb:>17.0f}" if name in ours["peak_rss_mb"] else f"  {name:32}{'':>31}{mb:>16.0f}")
        add(f"Freshness at {fresh['rate']:,} rows/s (event time -> queryable, {fresh['rows_timed']:,} rows after "
            f"{fresh['warmup_s']} s of warm-up): "
            f"p50 {fresh['p50_s']:.2f} s, p99 {fresh['p99_s']:.2f} s, max {fresh['max_s']:.2f} s (target p99 <= 2 s)")
        if len(self.transport_runs) > 1:
            add("")
            add(self.transport_table())
        table_text = "\n".join(lines)
        print()
        print(table_text)

        base = os.path.join(self.out, f"pipeline-{self.stamp}")
        with open(base + ".json", "w") as f:
            json.dump(r, f, indent=2)
        with open(base + ".csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["figure", "ceiling", "streaming_arrow", "json_per_event"])
            w.writerow(["rows_per_s", ceiling["rows_per_s"], ours["rows_per_s"], json_["rows_per_s"]])
            w.writerow(["rows_per_cpu_s", ceiling["rows_per_cpu_s"], ours["rows_per_cpu_s"], json_["rows_per_cpu_s"]])
            w.writerow(["kafka_bytes_per_row", "", ours["kafka_bytes_per_row"], json_["kafka_bytes_per_row"]])
            w.writerow(["json_document_bytes_per_row", "", "", json_["json_document_bytes_per_row"]])
            for name in ("producer", "sink", "json-producer", "json-loader", "kafka", "clickhouse"):
                w.writerow([f"cpu_s_per_million_rows.{name}", "", ours["cpu_s_per_million_rows"].get(name, ""),
                            json_["cpu_s_per_million_rows"].get(name, "")])
            for name, mb in ours["peak_rss_mb"].items():
                w.writerow([f"peak_rss_mb.{name}", "", mb, ""])
            for name, mb in json_["peak_rss_mb"].items():
                w.writerow([f"peak_rss_mb.{name}", "", "", mb])
            w.writerow(["freshness_p50_s", "", fresh["p50_s"], ""])
            w.writerow(["freshness_p99_s", "", fresh["p99_s"], ""])
        with open(base + ".txt", "w") as f:
            f.write(table_text + "\n")
        chart(base, self.series, ceiling["rows_per_s"], self.stamp)
        print(f"\nresults: {base}.txt .json .csv .svg" + (" .png" if os.path.exists(base + ".png") else ""))


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
    parser.add_argument("--rows", type=int, default=6_000_000,
                        help="rows per full-speed run (default 6,000,000: shorter runs mostly measure JIT warm-up)")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=4, help="partitions of each benchmark topic")
    parser.add_argument("--fresh-rate", type=int, default=100_000, help="rows/s of the freshness run")
    parser.add_argument("--fresh-seconds", type=int, default=15, help="seconds of the freshness run that are timed")
    parser.add_argument("--fresh-warmup", type=int, default=5, help="seconds of it before that (JIT warm-up), not timed")
    parser.add_argument("--ceiling-insert-rows", type=int, default=500_000)
    parser.add_argument("--json-compression", default="zstd", help="Kafka compression of the JSON baseline")
    parser.add_argument("--heap", default="256m", help="-Xmx of every JVM the benchmark starts")
    parser.add_argument("--timeout", type=int, default=240, help="seconds a run may take before it fails")
    parser.add_argument("--producer-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration property for the producer, e.g. producer.batching.max-rows=10000")
    parser.add_argument("--sink-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration property for the sink, e.g. sink.insert.linger=500ms")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's topics and tables")
    parser.add_argument("--profile", action="store_true",
                        help="record producer and sink of the full-speed run with JFR and print where their CPU goes")
    parser.add_argument("--out", default=os.path.join(REPO, "deploy/bench/results"))
    parser.add_argument("--phases", default="ours,freshness,ceiling,json")
    parser.add_argument("--transports", default="java-client",
                        help="sink transports (sink.clickhouse.transport) of the full-speed run, each run in turn, "
                             "e.g. java-client,vertx; the first is the one the main table reports")
    parser.add_argument("--rounds", type=int, default=1,
                        help="full-speed runs per transport, interleaved (java-client, vertx, java-client, vertx, ...)")
    bench = Bench(parser.parse_args())
    phases = bench.args.phases.split(",")
    try:
        for phase in ("ours", "freshness", "ceiling", "json"):
            if phase in phases:
                getattr(bench, "run_" + phase)()
        if bench.args.profile:
            for service in ("producer", "sink"):
                recording = os.path.join(bench.logs, f"{service}-throughput.jfr")
                if os.path.exists(recording):
                    print(f"\nwhere the {service}'s CPU went at full speed ({recording}):")
                    print(hot_methods(recording))
        if set(phases) >= {"ours", "freshness", "ceiling", "json"}:
            bench.report()
        else:
            print(json.dumps(bench.results, indent=2))
    finally:
        bench.clean_up()


if __name__ == "__main__":
    main()
