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
  recovery OUT_DIR FAULT_EPOCH SINCE_EPOCH LIMIT_S NAME... : for each service, seconds from SINCE (the fault
      cleared) until it was last seen becoming ready (0 if it was not seen down after FAULT); fails if one is
      not ready or took longer than LIMIT_S.
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


def drive(url, out, rows, rate, devices, chunk=100, seed=7, hold_at=None, hold_file=None):
    """hold_at/hold_file: once hold_at events are accepted, wait for hold_file to exist before going on
    (the pacing clock waits too), so that a slow machine still has the stream running around an event."""
    random.seed(seed)
    names = [f"dev-{i:02d}" for i in range(devices)]
    interval = chunk / rate
    sent = 0
    n = 0
    started = time.time()
    with open(f"{out}/events.ndjson", "w") as events_file, open(f"{out}/drive.log", "w") as log:
        while sent < rows:
            if hold_at is not None and sent >= hold_at:
                held = time.time()
                while not os.path.exists(hold_file):
                    time.sleep(0.1)
                started += time.time() - held
                log.write(f"held at {sent} events for {time.time() - held:.1f}s\n")
                hold_at = None
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
            last_progress = time.time()
            while pending:
                if time.time() - last_progress > 300:
                    raise SystemExit(f"the producer took none of the last request's events for 300 s: giving up")
                body = "".join(json.dumps(e) + "\n" for e in pending).encode()
                req = urllib.request.Request(url, data=body, headers={"content-type": "application/x-ndjson"})
                t0 = time.time()
                try:
                    with urllib.request.urlopen(req, timeout=float(os.environ.get("FAULTS_DRIVE_HTTP_TIMEOUT", "180"))) as r:
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
                if code in (200, 503):
                    last_progress = time.time()
                if code == 200:
                    rejected = {r["line"] for r in doc.get("rejected", [])}
                    for line, e in enumerate(pending, 1):
                        if line not in rejected:
                            events_file.write(json.dumps(e) + "\n")
                    if rejected:
                        log.write(f"UNEXPECTED rejections of valid events: {doc.get('rejected')}\n")
                    pending = []
                elif code == 503 and ("resendFromLine" in doc or "notStoredLines" in doc):
                    # Part of the body was stored: lines before resendFromLine that are not named in
                    # notStoredLines. The rest is resent; lines that "may still be stored" (Kafka had not
                    # answered in time) are not, since resending could store them twice: they are kept
                    # apart as ambiguous and counted in the expectation (the producer's client still
                    # delivers them once the broker is back).
                    k = doc.get("resendFromLine") or len(pending) + 1
                    not_stored, ambiguous = set(), set()
                    for run in doc.get("notStoredLines", []):
                        lines = range(run["fromLine"], run["toLine"] + 1)
                        (ambiguous if run.get("mayStillBeStored") else not_stored).update(lines)
                    rejected = {r["line"] for r in doc.get("rejected", [])}
                    keep = []
                    for line, e in enumerate(pending, 1):
                        if line in rejected:
                            continue
                        if line in ambiguous:
                            events_file.write(json.dumps(e) + "\n")
                            log.write(f"AMBIGUOUS line {line}: may still be stored, not resent\n")
                        elif line >= k or line in not_stored:
                            keep.append(e)
                        else:
                            events_file.write(json.dumps(e) + "\n")
                    pending = keep
                    time.sleep(0.5)
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


def recovery(out, fault, since, limit, names):
    """Seconds from `since` (the fault cleared) to each service's last transition to ready, for each
    service that was seen not ready after `fault` began."""
    last = {}
    for line in open(f"{out}/readiness.log"):
        t, name, s = line.split()
        last.setdefault(name, []).append((float(t), s))
    problems, parts = [], []
    for name in names:
        changes = last.get(name, [])
        went_down = any(s == "DOWN" for t, s in changes if t >= fault)
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


def check(out, windows=True):
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
    if not windows:
        for p in problems[:25]:
            print("PROBLEM " + p)
        print(f"ClickHouse FINAL {ch_rows} of {expected['rows']} rows")
        return 1 if problems else 0
    # PostgreSQL: [device, window_start_us, row_count, mean, min, max]
    stored = {}
    duplicates = 0
    text = open(f"{out}/windows.json").read().strip()
    for d, s, n, mean, lo, hi in (json.loads(text) if text else None) or []:
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


def post(url, body, timeout=180):
    req = urllib.request.Request(url, data=body, headers={"content-type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, answer = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, answer = e.code, e.read()
    try:
        return code, json.loads(answer)
    except Exception:
        return code, {"raw": answer[:300].decode(errors="replace")}


def good_event(device, ts, i, rng):
    cpu = round(rng.uniform(10, 70), 3)
    mem = round(rng.uniform(30, 60), 3)
    return {"device": device, "ts": ts, "cpu_used": cpu, "cpu_free": round(100 - cpu, 3),
            "memory_used": mem, "memory_free": round(100 - mem, 3), "run_elapsed_ms": i}


def ingest_batches(url, out, batches, size):
    """`batches` requests of `size` events, each of which must be answered 200 with every event accepted."""
    rng = random.Random(11)
    ok = True
    with open(f"{out}/events.ndjson", "w") as f:
        for b in range(batches):
            now = int(time.time() * 1_000_000)
            events = [good_event(f"dev-{i % 10:02d}", now + i, b * size + i, rng) for i in range(size)]
            code, doc = post(url, "".join(json.dumps(e) + "\n" for e in events).encode())
            for _ in range(60):  # 429: saturated before reading the body (nothing taken), so resend as is
                if code != 429:
                    break
                time.sleep(0.5)
                code, doc = post(url, "".join(json.dumps(e) + "\n" for e in events).encode())
            print(f"request {b + 1}: {code} {json.dumps(doc)[:200]}", file=sys.stderr)
            if code == 200 and doc.get("accepted") == size:
                for e in events:
                    f.write(json.dumps(e) + "\n")
            else:
                ok = False
    return 0 if ok else 1


YEAR_9999_US = 253402300799000000


def ingest_hostile(url, out, max_body):
    """Hostile values line by line (each must be refused with a reason, its neighbours kept), then
    malformed requests (each must be refused as a whole with a reason). Prints PROBLEM lines."""
    rng = random.Random(13)
    problems, notes = [], []
    now = int(time.time() * 1_000_000) - 20_000_000
    good = [good_event(f"dev-h{i % 5}", now + i * 100_000, i, rng) for i in range(20)]
    hostile = [  # (what, raw NDJSON line)
        ("ts -1", json.dumps({"device": "dev-h0", "ts": -1, "cpu_used": 1.0})),
        ("ts 9999-12-31T23:59:59Z", json.dumps({"device": "dev-h0", "ts": "9999-12-31T23:59:59Z", "cpu_used": 1.0})),
        ("ts year 9999 in microseconds", json.dumps({"device": "dev-h0", "ts": YEAR_9999_US, "cpu_used": 1.0})),
        ("ts 1969-12-31T23:59:59Z", json.dumps({"device": "dev-h0", "ts": "1969-12-31T23:59:59Z", "cpu_used": 1.0})),
        ("device with U+0000", json.dumps({"device": "nul\u0000dev", "ts": now, "cpu_used": 1.0})),
    ]
    lines = [json.dumps(e).encode() for e in good[:10]]
    lines += [line.encode() for _, line in hostile]
    lines.append(b'{"device": "bad-\xff\xfe-utf8", "ts": %d, "cpu_used": 1.0}' % now)  # invalid UTF-8
    lines += [json.dumps(e).encode() for e in good[10:]]
    whats = [w for w, _ in hostile] + ["device with invalid UTF-8"]
    bad_lines = {11 + k: w for k, w in enumerate(whats)}
    code, doc = post(url, b"\n".join(lines) + b"\n")
    rejected = {r.get("line"): r.get("reason") for r in doc.get("rejected", [])} if isinstance(doc, dict) else {}
    if code != 200 or doc.get("accepted") != 20:
        problems.append(f"/ingest with 20 good and {len(bad_lines)} hostile lines answered {code}, accepted "
                        f"{doc.get('accepted')} (expected 200 and 20): {json.dumps(doc)[:300]}")
    for line, what in bad_lines.items():
        if not rejected.get(line):
            problems.append(f"/ingest line {line} ({what}) was not rejected with a reason")
    for line in rejected:
        if line not in bad_lines:
            problems.append(f"/ingest rejected good line {line}: {rejected[line]}")
    if not problems:
        notes.append(f"/ingest: 20 accepted, {len(bad_lines)} hostile lines rejected with reasons"
                     f" (e.g. line 12: {rejected.get(12)!r})")
    with open(f"{out}/events.ndjson", "w") as f:
        for e in good:
            f.write(json.dumps(e) + "\n")
    # Malformed requests: refused as a whole, with a reason.
    big = b"".join(json.dumps(good_event("dev-big", now, 0, rng)).encode() + b"\n" for _ in range(max_body // 80 + 100))
    malformed = [
        ("empty body", b"", 400),
        ("not JSON", b"not json at all", 400),
        ("a truncated array", b'[{"device": "x", "cpu_used": 1', 400),
        ("device not a string", b'{"device": 5}', 400),
        ("no device", b'{"cpu_used": 1.5}', 400),
        ("ts not a time", b'{"device": "x", "ts": "yesterday"}', 400),
        ("a measure not a number", b'{"device": "x", "cpu_used": "hot"}', 400),
        (f"a body of {len(big)} bytes over the {max_body}-byte limit", big, 413),
    ]
    held = 0
    for what, body, expected_code in malformed:
        code, doc = post(url, body)
        reason = (doc.get("error") or "; ".join(str(r.get("reason")) for r in doc.get("rejected", []))) if isinstance(doc, dict) else ""
        if code != expected_code or not reason:
            problems.append(f"/ingest with {what} answered {code} (expected {expected_code} with a reason): {json.dumps(doc)[:200]}")
        else:
            held += 1
    notes.append(f"{held} of {len(malformed)} malformed requests refused with 400/413 and a reason")
    for n in notes:
        print(n)
    for p in problems:
        print("PROBLEM " + p)
    return 1 if problems else 0


def write_spec(out, messages, events, dlq):
    json.dump(messages, open(f"{out}/spec.json", "w"))
    with open(f"{out}/events.ndjson", "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    json.dump(dlq, open(f"{out}/dlq-expected.json", "w"))


def kafka_hostile_spec(out):
    rng = random.Random(17)
    now = int(time.time() * 1_000_000) - 25_000_000
    n = [0]

    def good(k, start):
        rows = []
        for i in range(k):
            rows.append(good_event(f"dev-k{n[0] % 5}", start + n[0] * 50_000, n[0], rng))
            n[0] += 1
        return rows
    m0 = good(60, now)
    m0[20] = dict(m0[20], ts=-1)
    m0[40] = dict(m0[40], ts=YEAR_9999_US)
    m1 = good(12, now)
    m1[3] = dict(m1[3], device="nul\u0000dev")
    m1[7] = {k: v for k, v in m1[7].items() if k != "device"}
    m1[7]["device_hex"] = (b"bad-\xff\xfe").hex()
    garbage = bytes(rng.randrange(256) for _ in range(256))
    m3 = good(10, now)
    m4 = good(40, now)
    messages = [
        {"partition": 0, "key": "k0", "value": {"rows": m0}},
        {"partition": 0, "key": "k0", "value": {"rows": m1}},
        {"partition": 0, "key": "k0", "value": {"hex": garbage.hex()}},
        {"partition": 0, "key": "k0", "value": {"rows": m3, "truncate": 0.6}},
        {"partition": 0, "key": "k0", "value": {"rows": m4}},
    ]
    events = [r for r in m0 if r not in (m0[20], m0[40])] + [r for i, r in enumerate(m1) if i not in (3, 7)] + m4

    def key(r):
        return {"device_hex": r["device_hex"] if "device_hex" in r else r["device"].encode().hex(), "ts": r["ts"]}
    dlq = []
    for service in ("sink", "analyzer"):
        dlq.append({"service": service, "offset": 0, "kind": "rows", "rows": [key(m0[20]), key(m0[40])],
                    "reasons": ["timestamp"], "what": "2 rows with ts -1 and in year 9999"})
        dlq.append({"service": service, "offset": 1, "kind": "rows", "rows": [key(m1[3]), key(m1[7])],
                    "reasons": ["nul|u\\+0000", "utf"], "what": "a device with U+0000 and one with invalid UTF-8"})
        dlq.append({"service": service, "offset": 2, "kind": "bytes", "what": "256 random bytes"})
        dlq.append({"service": service, "offset": 3, "kind": "bytes", "what": "a message cut at 60 %"})
    write_spec(out, messages, events, dlq)


def null_message_spec(out):
    rng = random.Random(19)
    now = int(time.time() * 1_000_000) - 25_000_000
    first = [good_event(f"dev-n{i % 4}", now + i * 100_000, i, rng) for i in range(20)]
    second = [good_event(f"dev-n{i % 4}", now + i * 100_000, i, rng) for i in range(20, 40)]
    messages = [{"partition": 0, "key": "k0", "value": {"rows": first}},
                {"partition": 0, "key": "tombstone", "value": None},
                {"partition": 0, "key": "k0", "value": {"rows": second}}]
    dlq = [{"service": s, "offset": 1, "kind": "null", "what": "the null message"} for s in ("sink", "analyzer")]
    write_spec(out, messages, first + second, dlq)


def dlq_check(out):
    """The dead-letter topic against dlq-expected.json: every expected record there (rows, bytes or null,
    each with a reason and its source), nothing else. Prints PROBLEM lines; exit 1 when something is off."""
    import re
    expected = json.load(open(f"{out}/dlq-expected.json"))
    records = [json.loads(line) for line in open(f"{out}/dlq.jsonl")]
    source = {(r["partition"], r["offset"]): r for r in (json.loads(l) for l in open(f"{out}/topic.jsonl"))}
    problems, notes, used = [], [], set()
    for exp in expected:
        mine = [(i, r) for i, r in enumerate(records)
                if r["headers"].get("dlq-service") == exp["service"]
                and r["headers"].get("dlq-source-offset") == str(exp["offset"])
                and r["headers"].get("dlq-source-partition", "0") == "0"]
        what = f"{exp['service']}: {exp['what']} (offset {exp['offset']})"
        if not mine:
            problems.append(f"{what}: not dead-lettered")
            continue
        for i, r in mine:
            used.add(i)
            if not r["headers"].get("dlq-reason"):
                problems.append(f"{what}: a dead letter without dlq-reason")
        reasons = sorted({r["headers"].get("dlq-reason", "") for _, r in mine})
        if exp["kind"] == "null":
            if any(r["value"] is not None for _, r in mine):
                problems.append(f"{what}: dead-lettered with a value ({[r.get('value_bytes') for _, r in mine]} bytes), expected null")
        elif exp["kind"] == "bytes":
            original = source.get((0, exp["offset"]), {}).get("value")
            if len(mine) != 1 or mine[0][1]["value"] != original:
                problems.append(f"{what}: {len(mine)} dead letter(s), expected one with the original bytes")
        else:
            got = sorted((row.get("device_hex"), row.get("ts")) for _, r in mine for row in (r.get("rows") or []))
            want = sorted((row["device_hex"], row["ts"]) for row in exp["rows"])
            if got != want:
                refused = sum(1 for g in got if g in want)
                problems.append(f"{what}: {len(mine)} dead letter(s) holding {len(got)} rows ({refused} of them"
                                f" the refused ones), expected exactly the {len(want)} refused rows")
            text = " ".join(reasons + [r["headers"].get("dlq-error", "") for _, r in mine]).lower()
            for pattern in exp.get("reasons", []):
                if not re.search(pattern, text):
                    problems.append(f"{what}: no reason matching {pattern!r} in {reasons}")
        notes.append(f"{exp['service']}@{exp['offset']} {'/'.join(reasons)}")
    for i, r in enumerate(records):
        if i not in used:
            problems.append(f"unexpected dead letter from {r['headers'].get('dlq-service')} of offset "
                            f"{r['headers'].get('dlq-source-offset')}: {r['headers'].get('dlq-reason')}")
    print(f"dead letters: {len(records)} record(s), as expected: " + ", ".join(notes) if not problems else
          f"dead letters: {len(records)} record(s)")
    for p in problems:
        print("PROBLEM " + p)
    return 1 if problems else 0


def main(argv):
    cmd = argv[1]
    if cmd == "drive":
        url, out = argv[2], argv[3]
        opts = dict(zip(argv[4::2], argv[5::2]))
        drive(url, out, int(opts["--rows"]), float(opts["--rate"]), int(opts["--devices"]),
              int(opts.get("--chunk", 100)), int(opts.get("--seed", 7)),
              int(opts["--hold-at"]) if "--hold-at" in opts else None, opts.get("--hold-file"))
    elif cmd == "watch":
        watch(argv[2], [t.split("=", 1) for t in argv[3:]])
    elif cmd == "recovery":
        return recovery(argv[2], float(argv[3]), float(argv[4]), float(argv[5]), argv[6:])
    elif cmd == "expect":
        expect(argv[2])
    elif cmd == "check":
        try:
            return check(argv[2], "--no-windows" not in argv)
        except Exception as e:  # a store that answered nothing usable
            print(f"PROBLEM the stores could not be read for the check: {e!r}")
            return 1
    elif cmd == "ingest-batches":
        return ingest_batches(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif cmd == "ingest-hostile":
        return ingest_hostile(argv[2], argv[3], int(argv[4]))
    elif cmd == "kafka-hostile-spec":
        kafka_hostile_spec(argv[2])
    elif cmd == "null-message-spec":
        null_message_spec(argv[2])
    elif cmd == "dlq-check":
        return dlq_check(argv[2])
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
