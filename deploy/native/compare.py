#!/usr/bin/env python3
"""Native executables against the JVM jars, side by side in one run on the local stack (issue #13).

  deploy/native/compare.py [--rows 1000000] [--rate 2000] [--devices 20] [--rounds 1]

Needs the stack up (deploy/local/stack.sh up), the jars (./mvnw package) and the executables
(deploy/native/build.sh). The services listen on ports 28080-28082 (not the e2e ports) and use topics,
tables, schemas and consumer groups of their own. For each mode, JVM then native (then again with --rounds 2):

  1. start-up and idle: sink, analyzer and producer start together; for each, the time from exec to its
     first HTTP answer (/q/health/live) and to ready (/q/health/ready: Kafka, ClickHouse, PostgreSQL
     connected); then 15 s idle and each process's RSS (VmRSS);
  2. the pipeline's default rate: a producer with the synthetic fleet at --rate rows/s over --devices
     devices (deploy/local/pipeline.sh's defaults) and host metrics on (OSHI through JNA) feeds the
     analyzer and the sink for 40 s; RSS of the three at the end (and the largest seen);
  3. full speed: --rows fleet rows as fast as the producer makes them -> Kafka -> sink -> ClickHouse;
     rows per CPU-second of the producer (from its fleet's start) and of the sink (from the same moment),
     CPU from /proc (utime + stime).
Every service gets -Xmx256m, as in e2e.sh and pipeline.sh. Prints one table; writes it with the raw
figures to deploy/native/results/compare-<time>.{txt,json}.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "deploy/bench"))
from pipeline_bench import HOME, ch_count, ch_text, cpu_seconds, log  # noqa: E402

PORT = {"producer": 28080, "analyzer": 28081, "sink": 28082}
TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def kafka_topic(topic):
    libs = sorted(d for d in os.listdir(os.path.join(HOME, "cache")) if d.startswith("kafka-"))[0]
    subprocess.run(["java", "-cp", os.path.join(HOME, "cache", libs, "*"), "-Dlog4j2.level=WARN",
                    "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", "127.0.0.1:19092", "--create",
                    "--topic", topic, "--partitions", "4", "--replication-factor", "1"],
                   check=True, capture_output=True, text=True)


class Service:
    def __init__(self, name, mode, props, log_path):
        self.name, self.mode, self.log_path = name, mode, log_path
        flags = ["-Xmx256m", f"-Dquarkus.http.port={PORT[name]}"] + [f"-D{k}={v}" for k, v in props.items()]
        if mode == "native":
            runner = [os.path.join(REPO, name, "target", f) for f in os.listdir(os.path.join(REPO, name, "target"))
                      if f.endswith("-runner")][0]
            command = [runner, *flags]
        else:
            command = ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", *flags, "-jar",
                       os.path.join(REPO, name, "target/quarkus-app/quarkus-run.jar")]
        self.log_file = open(log_path, "w")
        self.started = time.time()
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=REPO)
        self.pid = self.process.pid
        self.first_answer = self.ready = None

    def poll_start(self):
        """Called in a tight loop: notes when the service first answers HTTP and when it is ready."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.mode} {self.name} exited during start-up; see {self.log_path}")
        now = time.time()
        if self.first_answer is None and http_status(PORT[self.name], "/q/health/live") is not None:
            self.first_answer = now - self.started
        if self.first_answer is not None and self.ready is None and http_status(PORT[self.name], "/q/health/ready") == 200:
            self.ready = now - self.started
        return self.ready is not None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


class Compare:
    def __init__(self, args):
        self.args = args
        self.stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.out = os.path.join(REPO, "deploy/native/results")
        self.logs = os.path.join(self.out, f"logs-{self.stamp}")
        os.makedirs(self.logs, exist_ok=True)
        self.results = []
        self.tables = []

    def ids(self, mode, phase, round_):
        run = f"cmp_{self.stamp}_{mode}_{phase}_{round_}".lower()
        topic = f"arrow_tables_{run}"
        kafka_topic(topic)
        self.tables.append(f"sensor_readings_{run}")
        return run, topic

    def sink_props(self, run, topic):
        return {"mp.messaging.incoming.arrow-tables.topic": topic,
                "mp.messaging.incoming.arrow-tables.group.id": f"sink_{run}",
                "mp.messaging.outgoing.arrow-tables-dlq.topic": f"dlq_{run}",
                "sink.clickhouse.table": f"sensor_readings_{run}"}

    def analyzer_props(self, run, topic):
        return {"mp.messaging.incoming.arrow-tables.topic": topic,
                "mp.messaging.incoming.arrow-tables.group.id": f"analyzer_{run}",
                "mp.messaging.outgoing.arrow-aggregates.topic": f"aggregates_{run}",
                "mp.messaging.outgoing.alerts.topic": f"alerts_{run}",
                "mp.messaging.outgoing.arrow-tables-dlq.topic": f"dlq_{run}",
                "analyzer.store.schema": run}

    def producer_props(self, topic, fleet, rate=0, rows=0, host_metrics=False):
        props = {"mp.messaging.outgoing.arrow-tables.topic": topic,
                 "producer.host-metrics.enabled": str(host_metrics).lower(),
                 "producer.fleet.enabled": str(fleet).lower()}
        if fleet:
            props.update({"producer.fleet.devices": str(self.args.devices),
                          "producer.fleet.rows-per-second": str(rate), "producer.fleet.max-rows": str(rows)})
        return props

    def start(self, name, mode, props, tag):
        return Service(name, mode, props, os.path.join(self.logs, f"{tag}-{name}.log"))

    def idle_and_rate(self, mode, round_):
        run, topic = self.ids(mode, "rate", round_)
        result = {"mode": mode, "round": round_}
        services = []
        try:
            services = [self.start("sink", mode, self.sink_props(run, topic), f"{mode}{round_}-start"),
                        self.start("analyzer", mode, self.analyzer_props(run, topic), f"{mode}{round_}-start"),
                        self.start("producer", mode, self.producer_props(topic, False), f"{mode}{round_}-start")]
            deadline = time.time() + 180
            while not all(s.poll_start() for s in services):
                if time.time() > deadline:
                    raise RuntimeError(f"{mode}: not all services ready after 180 s; logs in {self.logs}")
                time.sleep(0.005)
            for s in services:
                result[f"{s.name}_first_answer_s"] = s.first_answer
                result[f"{s.name}_ready_s"] = s.ready
            log(f"{mode}: first answer " + ", ".join(f"{s.name} {s.first_answer:.2f}s" for s in services)
                + "; ready " + ", ".join(f"{s.name} {s.ready:.2f}s" for s in services))
            time.sleep(15)
            for s in services:
                result[f"{s.name}_rss_idle_mb"] = rss_mb(s.pid)
            log(f"{mode}: idle RSS " + ", ".join(f"{s.name} {result[s.name + '_rss_idle_mb']:.0f} MB" for s in services))
            # The same sink and analyzer, and a producer with the fleet at the pipeline's default rate.
            services[2].stop()
            services[2] = self.start("producer", mode, self.producer_props(topic, True, self.args.rate, 0, True),
                                     f"{mode}{round_}-rate")
            deadline = time.time() + 180
            while not services[2].poll_start():
                if time.time() > deadline:
                    raise RuntimeError(f"{mode}: fleet producer not ready; see {services[2].log_path}")
                time.sleep(0.01)
            table = f"sensor_readings_{run}"
            peak = {s.name: 0.0 for s in services}
            begin = time.time()
            rows_begin = None
            while time.time() - begin < 40:
                for s in services:
                    if s.process.poll() is not None:
                        raise RuntimeError(f"{mode} {s.name} exited at rate; see {s.log_path}")
                    peak[s.name] = max(peak[s.name], rss_mb(s.pid))
                if rows_begin is None and time.time() - begin > 10:
                    rows_begin, t_rows = ch_count(table), time.time()
                time.sleep(1)
            rows_end, t_end = ch_count(table), time.time()
            for s in services:
                result[f"{s.name}_rss_rate_mb"] = rss_mb(s.pid)
                result[f"{s.name}_rss_rate_peak_mb"] = peak[s.name]
            result["rate_rows_per_s_in_clickhouse"] = (rows_end - rows_begin) / (t_end - t_rows)
            log(f"{mode}: at {self.args.rate} rows/s ({result['rate_rows_per_s_in_clickhouse']:.0f} landing) RSS "
                + ", ".join(f"{s.name} {result[s.name + '_rss_rate_mb']:.0f} MB" for s in services))
        finally:
            for s in services:
                s.stop()
        return result

    def full_speed(self, mode, round_, result):
        run, topic = self.ids(mode, "full", round_)
        table = f"sensor_readings_{run}"
        rows = self.args.rows
        sink = producer = None
        try:
            sink = self.start("sink", mode, self.sink_props(run, topic), f"{mode}{round_}-full")
            deadline = time.time() + 180
            while not sink.poll_start():
                if time.time() > deadline:
                    raise RuntimeError(f"{mode} sink not ready; see {sink.log_path}")
                time.sleep(0.05)
            producer = self.start("producer", mode, self.producer_props(topic, True, 1_000_000_000, rows),
                                  f"{mode}{round_}-full")
            # The producer's CPU counts from its fleet's start (its start-up is measured above).
            deadline = time.time() + 120
            while "sensor fleet:" not in open(producer.log_path, errors="replace").read():
                if producer.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"{mode} producer did not start its fleet; see {producer.log_path}")
                time.sleep(0.01)
            t0 = time.time()
            producer_cpu0, sink_cpu0 = cpu_seconds(producer.pid), cpu_seconds(sink.pid)
            deadline = t0 + self.args.timeout
            while True:
                count = ch_count(table)
                if count >= rows:
                    break
                if time.time() > deadline or sink.process.poll() is not None:
                    raise RuntimeError(f"{mode}: {count} of {rows} rows after {time.time() - t0:.0f}s; logs {self.logs}")
                time.sleep(0.1)
            # Both at the moment the last row is queryable: the producer's includes sending its last batches.
            elapsed = time.time() - t0
            producer_cpu = cpu_seconds(producer.pid) - producer_cpu0
            sink_cpu = cpu_seconds(sink.pid) - sink_cpu0
            result.update({"full_rows": count, "full_seconds": elapsed, "full_rows_per_s": count / elapsed,
                           "producer_cpu_s": producer_cpu, "sink_cpu_s": sink_cpu,
                           "producer_rows_per_cpu_s": count / producer_cpu, "sink_rows_per_cpu_s": count / sink_cpu,
                           "producer_rss_full_mb": rss_mb(producer.pid), "sink_rss_full_mb": rss_mb(sink.pid)})
            log(f"{mode}: full speed {count:,} rows in {elapsed:.1f}s; producer {count / producer_cpu:,.0f} rows/CPU-s, "
                f"sink {count / sink_cpu:,.0f} rows/CPU-s")
        finally:
            for s in (producer, sink):
                if s:
                    s.stop()

    def size(self):
        sizes = {}
        for name in ("producer", "analyzer", "sink"):
            target = os.path.join(REPO, name, "target")
            runner = [f for f in os.listdir(target) if f.endswith("-runner")][0]
            app = os.path.join(target, "quarkus-app")
            jar_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(app) for f in fs)
            sizes[name] = {"native_mb": os.path.getsize(os.path.join(target, runner)) / 1e6,
                           "jvm_app_mb": jar_bytes / 1e6}
        return sizes

    def report(self):
        by = {(r["mode"], r["round"]): r for r in self.results}
        rounds = sorted({r["round"] for r in self.results})
        lines = [f"Native vs JVM, one run ({self.stamp} UTC, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end)",
                 f"{'figure':46}" + "".join(f"{m + ' #' + str(n):>14}" for n in rounds for m in ("jvm", "native"))]

        def row(label, key, fmt):
            cells = []
            for n in rounds:
                for m in ("jvm", "native"):
                    v = by.get((m, n), {}).get(key)
                    cells.append(f"{format(v, fmt) if v is not None else '-':>14}")
            lines.append(f"{label:46}" + "".join(cells))
        for s in ("producer", "analyzer", "sink"):
            row(f"{s}: first HTTP answer after start (s)", f"{s}_first_answer_s", ".2f")
            row(f"{s}: ready after start (s)", f"{s}_ready_s", ".2f")
        for s in ("producer", "analyzer", "sink"):
            row(f"{s}: RSS idle (MB)", f"{s}_rss_idle_mb", ".0f")
            row(f"{s}: RSS at {self.args.rate} rows/s (MB)", f"{s}_rss_rate_mb", ".0f")
        row("producer: rows per CPU-second, full speed", "producer_rows_per_cpu_s", ",.0f")
        row("sink: rows per CPU-second, full speed", "sink_rows_per_cpu_s", ",.0f")
        row("end to end rows/s, full speed", "full_rows_per_s", ",.0f")
        row("producer: RSS after full speed (MB)", "producer_rss_full_mb", ".0f")
        row("sink: RSS after full speed (MB)", "sink_rss_full_mb", ".0f")
        sizes = self.size()
        lines.append("sizes: " + ", ".join(f"{n} native {v['native_mb']:.1f} MB / JVM quarkus-app {v['jvm_app_mb']:.1f} MB"
                                            for n, v in sizes.items()))
        text = "\n".join(lines)
        print(text)
        with open(os.path.join(self.out, f"compare-{self.stamp}.txt"), "w") as f:
            f.write(text + "\n")
        with open(os.path.join(self.out, f"compare-{self.stamp}.json"), "w") as f:
            json.dump({"args": vars(self.args), "results": self.results, "sizes": sizes}, f, indent=2)

    def clean_up(self):
        for table in self.tables:
            try:
                ch_text(f"DROP TABLE IF EXISTS {table}")
            except RuntimeError as e:
                log(f"cannot drop {table}: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="fleet rows of each full-speed run")
    parser.add_argument("--rate", type=int, default=2000, help="rows/s of the default-rate phase (pipeline.sh's)")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=600, help="seconds a full-speed run may take")
    args = parser.parse_args()
    compare = Compare(args)
    try:
        for round_ in range(1, args.rounds + 1):
            for mode in ("jvm", "native"):
                result = compare.idle_and_rate(mode, round_)
                compare.full_speed(mode, round_, result)
                compare.results.append(result)
        compare.report()
    finally:
        compare.clean_up()


if __name__ == "__main__":
    main()
