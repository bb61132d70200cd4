package io.streamingarrow.analyzer.persistence;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.smallrye.mutiny.Uni;
import io.streamingarrow.analyzer.alerting.AlertTransition;
import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The analyzer's PostgreSQL tables, through the reactive client: window aggregates (upserted, keyed by
 * device, window start and size, so a replay overwrites instead of duplicating), alerts, and per-partition
 * progress (windows that are final), all written in one transaction per batch of closed windows.
 */
public final class AnalyzerStore {

    private final Pool pool;
    private final String schema;

    public AnalyzerStore(Pool pool, String schema) {
        if (!schema.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("analyzer.store.schema must be a plain identifier, got " + schema);
        }
        this.pool = pool;
        this.schema = schema;
    }

    public String schema() {
        return schema;
    }

    /** Creates (or completes) the schema; safe to run on every start. */
    public Uni<Void> migrate() {
        List<String> statements = List.of(
                "CREATE SCHEMA IF NOT EXISTS " + schema,
                "CREATE TABLE IF NOT EXISTS " + schema + ".window_aggregates ("
                        + " device text NOT NULL,"
                        + " window_start timestamptz NOT NULL,"
                        + " window_size_ms bigint NOT NULL,"
                        + " window_end timestamptz NOT NULL,"
                        + " row_count bigint NOT NULL,"
                        + " first_ts timestamptz NOT NULL,"
                        + " last_ts timestamptz NOT NULL,"
                        + " stats jsonb NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (device, window_start, window_size_ms))",
                "CREATE INDEX IF NOT EXISTS window_aggregates_end ON " + schema + ".window_aggregates (window_end)",
                "CREATE TABLE IF NOT EXISTS " + schema + ".alerts ("
                        + " id bigserial PRIMARY KEY,"
                        + " rule text NOT NULL,"
                        + " severity text NOT NULL,"
                        + " device text NOT NULL,"
                        + " state text NOT NULL CHECK (state IN ('open', 'resolved')),"
                        + " opened_window_end timestamptz NOT NULL,"
                        + " open_value double precision,"
                        + " open_condition text NOT NULL,"
                        + " resolved_window_end timestamptz,"
                        + " resolve_value double precision,"
                        + " resolve_condition text,"
                        + " UNIQUE (rule, device, opened_window_end))",
                "CREATE INDEX IF NOT EXISTS alerts_open ON " + schema + ".alerts (state) WHERE state = 'open'",
                "CREATE TABLE IF NOT EXISTS " + schema + ".analyzer_progress ("
                        + " topic text NOT NULL,"
                        + " kafka_partition int NOT NULL,"
                        + " window_size_ms bigint NOT NULL,"
                        + " window_slide_ms bigint NOT NULL,"
                        + " final_up_to timestamptz NOT NULL,"
                        + " PRIMARY KEY (topic, kafka_partition, window_size_ms, window_slide_ms))");
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String statement : statements) {
            chain = chain.chain(() -> pool.query(statement).execute().replaceWithVoid());
        }
        return chain;
    }

    /**
     * Writes closed windows, alert transitions and the new progress of {@code partitions} in one
     * transaction: either all of it is stored or none (and the messages behind it stay uncommitted).
     */
    public Uni<Void> persist(List<ClosedWindow> windows, List<AlertTransition> transitions, String topic,
                             Iterable<Integer> partitions, long sizeMs, long slideMs, long finalUpToMicros) {
        return pool.withTransaction(tx -> upsertWindows(tx, windows)
                .chain(() -> writeAlerts(tx, transitions))
                .chain(() -> {
                    List<Tuple> progress = new ArrayList<>();
                    for (int partition : partitions) {
                        progress.add(Tuple.of(topic, partition, sizeMs, slideMs, time(finalUpToMicros)));
                    }
                    if (progress.isEmpty()) {
                        return Uni.createFrom().voidItem();
                    }
                    return tx.preparedQuery("INSERT INTO " + schema + ".analyzer_progress AS p"
                                    + " (topic, kafka_partition, window_size_ms, window_slide_ms, final_up_to)"
                                    + " VALUES ($1, $2, $3, $4, $5)"
                                    + " ON CONFLICT (topic, kafka_partition, window_size_ms, window_slide_ms)"
                                    + " DO UPDATE SET final_up_to = GREATEST(p.final_up_to, EXCLUDED.final_up_to)")
                            .executeBatch(progress).replaceWithVoid();
                }));
    }

    private Uni<Void> upsertWindows(SqlClient tx, List<ClosedWindow> windows) {
        if (windows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = new ArrayList<>(windows.size());
        for (ClosedWindow w : windows) {
            JsonObject stats = new JsonObject();
            for (int m = 0; m < w.measures().size(); m++) {
                stats.put(w.measures().get(m), new JsonObject()
                        .put("count", w.values().count(m))
                        .put("min", w.values().min(m))
                        .put("max", w.values().max(m))
                        .put("mean", w.values().mean(m)));
            }
            rows.add(Tuple.from(List.of(w.device(), time(w.startMicros()), w.sizeMillis(), time(w.endMicros()),
                    w.values().count(), time(w.values().firstTs()), time(w.values().lastTs()), stats)));
        }
        return tx.preparedQuery("INSERT INTO " + schema + ".window_aggregates"
                        + " (device, window_start, window_size_ms, window_end, row_count, first_ts, last_ts, stats)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                        + " ON CONFLICT (device, window_start, window_size_ms) DO UPDATE SET"
                        + " window_end = EXCLUDED.window_end, row_count = EXCLUDED.row_count, first_ts = EXCLUDED.first_ts,"
                        + " last_ts = EXCLUDED.last_ts, stats = EXCLUDED.stats, updated_at = now()")
                .executeBatch(rows).replaceWithVoid();
    }

    private Uni<Void> writeAlerts(SqlClient tx, List<AlertTransition> transitions) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (AlertTransition t : transitions) {
            if (t.state() == AlertTransition.State.OPEN) {
                chain = chain.chain(() -> tx.preparedQuery("INSERT INTO " + schema + ".alerts"
                                + " (rule, severity, device, state, opened_window_end, open_value, open_condition)"
                                + " VALUES ($1, $2, $3, 'open', $4, $5, $6) ON CONFLICT (rule, device, opened_window_end) DO NOTHING")
                        .execute(Tuple.from(java.util.Arrays.asList(t.rule(), t.severity(), t.device(), time(t.windowEndMicros()),
                                t.value(), t.condition())))
                        .replaceWithVoid());
            } else {
                chain = chain.chain(() -> tx.preparedQuery("UPDATE " + schema + ".alerts SET state = 'resolved',"
                                + " resolved_window_end = $3, resolve_value = $4, resolve_condition = $5"
                                + " WHERE rule = $1 AND device = $2 AND state = 'open'")
                        .execute(Tuple.from(java.util.Arrays.asList(t.rule(), t.device(), time(t.windowEndMicros()),
                                t.value(), t.condition())))
                        .replaceWithVoid());
            }
        }
        return chain;
    }

    /** Per partition of {@code topic}: windows ending at or before this (µs) are final for this window config. */
    public Uni<Map<Integer, Long>> progress(String topic, long sizeMs, long slideMs) {
        return pool.preparedQuery("SELECT kafka_partition, final_up_to FROM " + schema + ".analyzer_progress"
                        + " WHERE topic = $1 AND window_size_ms = $2 AND window_slide_ms = $3")
                .execute(Tuple.of(topic, sizeMs, slideMs))
                .map(rows -> {
                    Map<Integer, Long> progress = new HashMap<>();
                    for (Row row : rows) {
                        progress.put(row.getInteger("kafka_partition"), micros(row.getOffsetDateTime("final_up_to")));
                    }
                    return progress;
                });
    }

    /** (rule, device) of every open alert, to restore the alert engine after a restart. */
    public Uni<List<String[]>> openAlerts() {
        return pool.query("SELECT rule, device FROM " + schema + ".alerts WHERE state = 'open'").execute()
                .map(rows -> {
                    List<String[]> open = new ArrayList<>();
                    for (Row row : rows) {
                        open.add(new String[] {row.getString("rule"), row.getString("device")});
                    }
                    return open;
                });
    }

    public static OffsetDateTime time(long micros) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1000L), ZoneOffset.UTC);
    }

    public static long micros(OffsetDateTime time) {
        Instant instant = time.toInstant();
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1000;
    }
}
