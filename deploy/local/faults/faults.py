#!/usr/bin/env python3
"""The fault suite's python side (deploy/local/faults.sh): drives known events into POST /ingest, watches
readiness, and checks what landed against a brute-force computation over exactly the events that were
accepted.

  drive URL OUT_DIR --rows N --rate R --devices D [--chunk C] [--seed S]
      Sends N events (D devices, R rows/s in chunks of C) to POST /ingest, one request at a time, in
      event-time order: each chunk gets its timestamps when it is first sent, and is resent (same
      events) after 429/503/connection errors until the producer takes it. Accepted events go to
      OUT_DIR/events.ndjson; a line per request to OUT_DIR/drive.log; OUT_DIR/drive.done at the end.
  watch OUT_DIR NAME=URL... : polls each /q/health/ready every 0.5 s; appends "epoch name UP|DOWN" on changes.
  recovery OUT_DIR SINCE_EPOCH LIMIT_S NAME... : for each service, seconds from SINCE until it was last seen
      becoming ready (0 if it never went down); fails if one is not ready or took longer than LIMIT_S.
  expect OUT_DIR : OUT_DIR/expected.json (rows, per device counts and cpu sums, windows) from events.ndjson.
  check OUT_DIR : compares OUT_DIR/clickhouse.json and OUT_DIR/windows.json with expected.json.
"""
import json
import os
import random
import struct
import sys
import time
import urllib.error
import urllib.request

WINDOW_US = 10_000_000


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def drive(url, out, rows, rate, devices, chunk=100, seed=7):
    random.seed(seed)
    names = [f"dev-{i:02d}" for i in range(devices)]
    interval = chunk / rate
    sent = 0
    n = 0
    started = time.time()
    with open(f"{out}/events.ndjson", "w") as events_file, open(f"{out}/drive.log", "w") as log:
        while sent < rows:
            size = min(chunk, rows - sent)
            # Paced by the wall clock: after an outage the backlog is not sent in a burst faster than the
            # rate, it simply catches up one request at a time.
            due = started + (sent / rate)
            if due > time.time():
                time.sleep(due - time.time())
            base = int(time.time() * 1_000_000)
            events = []
            for i in range(size):
                d = names[(sent + i) % devices]
                cpu = round(random.uniform(10, 70), 3)
                mem = round(random.uniform(30, 60), 3)
                events.append({"device": d, "ts": base + int(i * interval * 1_000_000 / size), "cpu_used": cpu,
                               "cpu_free": round(100 - cpu, 3), "memory_used": mem,
                               "memory_free": round(100 - mem, 3), "run_elapsed_ms": sent + i})
            pending = events
            while pending:
                body = "".join(json.dumps(e) + "\n" for e in pending).encode()
                req = urllib.request.Request(url, data=body, headers={"content-type": "application/x-ndjson"})
                t0 = time.time()
                try:
                    with urllib.request.urlopen(req, timeout=180) as r:
                        code, answer = r.status, r.read()
                except urllib.error.HTTPError as e:
                    code, answer = e.code, e.read()
                except Exception as e:  # connection refused or reset: the producer is down or restarting
                    code, answer = 0, str(e).encode()
                n += 1
                log.write(f"{t0:.3f} {time.time() - t0:.3f}s {code} {len(pending)} {answer[:300].decode(errors='replace')}\n")
                log.flush()
                try:
                    doc = json.loads(answer)
                except Exception:
                    doc = {}
                if code == 200:
                    rejected = {r["line"] for r in doc.get("rejected", [])}
                    for line, e in enumerate(pending, 1):
                        if line not in rejected:
                            events_file.write(json.dumps(e) + "\n")
                    if rejected:
                        log.write(f"UNEXPECTED rejections of valid events: {doc.get('rejected')}\n")
                    pending = []
                elif code == 503 and isinstance(doc.get("resendFromLine"), int):
                    k = doc["resendFromLine"]
                    for e in pending[:k - 1]:
                        events_file.write(json.dumps(e) + "\n")
                    pending = pending[k - 1:]
                    time.sleep(float(doc.get("retryAfter", 0.5)))
                else:
                    time.sleep(0.5)
            events_file.flush()
            sent += size
    open(f"{out}/drive.done", "w").write(f"{sent} {n} {time.time() - started:.1f}\n")


def watch(out, targets):
    state = {}
    with open(f"{out}/readiness.log", "a") as log:
        while not os.path.exists(f"{out}/watch.stop"):
            for name, url in targets:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        up = r.status == 200
                except Exception:
                    up = False
                if state.get(name) != up:
                    state[name] = up
                    log.write(f"{time.time():.3f} {name} {'UP' if up else 'DOWN'}\n")
                    log.flush()
            time.sleep(0.5)


def recovery(out, since, limit, names):
    """Seconds from `since` (the fault cleared) to each service's last transition to ready."""
    last = {}
    for line in open(f"{out}/readiness.log"):
        t, name, s = line.split()
        last.setdefault(name, []).append((float(t), s))
    problems, parts = [], []
    for name in names:
        changes = last.get(name, [])
        went_down = any(s == "DOWN" for t, s in changes if t >= since - 60)
        if not changes or changes[-1][1] != "UP":
            problems.append(f"{name} is not ready")
            parts.append(f"{name} NOT ready")
            continue
        t_up = changes[-1][0]
        took = max(0.0, t_up - since) if went_down else 0.0
        parts.append(f"{name} ready {took:.0f}s after" if went_down else f"{name} stayed ready")
        if took > limit:
            problems.append(f"{name} took {took:.0f}s to be ready again (limit {limit}s)")
    print("; ".join(parts))
    for p in problems:
        print("PROBLEM " + p)
    return 0 if not problems else 1


def expect(out):
    per_device, windows, rows, cpu_sum = {}, {}, 0, 0.0
    for line in open(f"{out}/events.ndjson"):
        e = json.loads(line)
        rows += 1
        c = f32(e["cpu_used"])
        cpu_sum += c
        per_device[e["device"]] = per_device.get(e["device"], 0) + 1
        key = f'{e["device"]}@{e["ts"] // WINDOW_US * WINDOW_US}'
        w = windows.setdefault(key, [0, 0.0, float("inf"), float("-inf")])
        w[0] += 1; w[1] += c; w[2] = min(w[2], c); w[3] = max(w[3], c)
    json.dump({"rows": rows, "cpu_sum": cpu_sum, "per_device": per_device, "windows": windows},
              open(f"{out}/expected.json", "w"))
    print(rows, len(windows))


def check(out):
    """Prints one line per finding; the last line is the summary. Exit 1 on any problem."""
    expected = json.load(open(f"{out}/expected.json"))
    problems = []
    # ClickHouse: [device, count() FINAL, sum(cpu_used), distinct (device, ts, run_elapsed_ms)]
    ch = json.load(open(f"{out}/clickhouse.json"))["data"]
    ch_rows = sum(int(r[1]) for r in ch)
    ch_distinct = sum(int(r[3]) for r in ch)
    for d, n in expected["per_device"].items():
        got = next((int(r[1]) for r in ch if r[0] == d), 0)
        if got != n:
            problems.append(f"ClickHouse: {d} has {got} rows, expected {n}")
    for r in ch:
        if r[0] not in expected["per_device"]:
            problems.append(f"ClickHouse: unexpected device {r[0]!r} ({r[1]} rows)")
    if ch_distinct != ch_rows:
        problems.append(f"ClickHouse: {ch_rows - ch_distinct} rows are there twice (FINAL)")
    ch_sum = sum(float(r[2]) for r in ch)
    if abs(ch_sum - expected["cpu_sum"]) > 1e-6 * max(1.0, abs(expected["cpu_sum"])):
        problems.append(f"ClickHouse: sum(cpu_used) {ch_sum}, expected {expected['cpu_sum']}")
    # PostgreSQL: [device, window_start_us, row_count, mean, min, max]
    stored = {}
    duplicates = 0
    for d, s, n, mean, lo, hi in json.load(open(f"{out}/windows.json")) or []:
        key = f"{d}@{s}"
        if key in stored:
            duplicates += 1
        stored[key] = (n, mean, lo, hi)
    pg_rows = sum(v[0] for v in stored.values())
    wrong = missing = 0
    for key, (n, total, lo, hi) in expected["windows"].items():
        got = stored.get(key)
        if got is None:
            missing += 1
            if missing <= 5:
                problems.append(f"PostgreSQL: window {key} ({n} rows) missing")
            continue
        if got[0] != n or abs(got[1] - total / n) > 1e-6 or got[2] != lo or got[3] != hi:
            wrong += 1
            if wrong <= 5:
                problems.append(f"PostgreSQL: window {key} is {got}, expected {(n, total / n, lo, hi)}")
    extra = [k for k in stored if k not in expected["windows"]]
    if extra:
        problems.append(f"PostgreSQL: {len(extra)} unexpected window(s), e.g. {extra[:3]}")
    if missing > 5:
        problems.append(f"PostgreSQL: ... {missing} windows missing in all")
    if wrong > 5:
        problems.append(f"PostgreSQL: ... {wrong} windows wrong in all")
    if duplicates:
        problems.append(f"PostgreSQL: {duplicates} windows stored twice")
    for p in problems[:25]:
        print("PROBLEM " + p)
    print(f"ClickHouse FINAL {ch_rows} of {expected['rows']} rows; windows hold {pg_rows} of {expected['rows']} rows"
          f" ({len(stored)} of {len(expected['windows'])} windows, {wrong} wrong)")
    return 1 if problems else 0


def main(argv):
    cmd = argv[1]
    if cmd == "drive":
        url, out = argv[2], argv[3]
        opts = dict(zip(argv[4::2], argv[5::2]))
        drive(url, out, int(opts["--rows"]), float(opts["--rate"]), int(opts["--devices"]),
              int(opts.get("--chunk", 100)), int(opts.get("--seed", 7)))
    elif cmd == "watch":
        watch(argv[2], [t.split("=", 1) for t in argv[3:]])
    elif cmd == "recovery":
        return recovery(argv[2], float(argv[3]), float(argv[4]), argv[5:])
    elif cmd == "expect":
        expect(argv[2])
    elif cmd == "check":
        return check(argv[2])
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
