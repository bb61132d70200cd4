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
import io.streamingarrow.analyzer.windowing.LateRows;
import io.streamingarrow.analyzer.windowing.WindowAccumulator;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The analyzer's PostgreSQL tables, through the reactive client: window aggregates (upserted, keyed by
 * device, window start and size, so a replay overwrites instead of duplicating), alerts, and per-partition
 * progress (windows that are final, and the offsets read when they became so), all written in one
 * transaction per batch of closed windows.
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
                // 0 = closed on time; n = n-th correction by late rows. Added for tables of earlier versions.
                "ALTER TABLE " + schema + ".window_aggregates ADD COLUMN IF NOT EXISTS revision int NOT NULL DEFAULT 0",
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
                        + " PRIMARY KEY (topic, kafka_partition, window_size_ms, window_slide_ms))",
                // Progress rows of earlier versions did not record it: treat everything they read as a replay.
                "ALTER TABLE " + schema + ".analyzer_progress ADD COLUMN IF NOT EXISTS read_through_offset bigint"
                        + " NOT NULL DEFAULT " + Long.MAX_VALUE,
                // Stored but not yet acknowledged by Kafka: published again by the next analyzer to start
                // (republishUnpublished). Rows of earlier versions count as published.
                "ALTER TABLE " + schema + ".window_aggregates ADD COLUMN IF NOT EXISTS unpublished boolean NOT NULL DEFAULT false",
                "CREATE INDEX IF NOT EXISTS window_aggregates_unpublished ON " + schema + ".window_aggregates (window_start)"
                        + " WHERE unpublished",
                "ALTER TABLE " + schema + ".alerts ADD COLUMN IF NOT EXISTS open_unpublished boolean NOT NULL DEFAULT false",
                "ALTER TABLE " + schema + ".alerts ADD COLUMN IF NOT EXISTS resolve_unpublished boolean NOT NULL DEFAULT false");
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String statement : statements) {
            chain = chain.chain(() -> pool.query(statement).execute().replaceWithVoid());
        }
        return chain;
    }

    /**
     * Writes closed windows, alert transitions, corrections (late rows merged into their stored windows)
     * and the new progress of each partition in one transaction: either all of it is stored or none (and
     * the messages behind it stay uncommitted). Yields the corrected windows, each at its new revision.
     */
    public Uni<List<ClosedWindow>> persist(List<ClosedWindow> windows, List<AlertTransition> transitions,
                                           List<LateRows> late, String topic, Map<Integer, PartitionProgress> progress,
                                           long sizeMs, long slideMs) {
        return pool.withTransaction(tx -> upsertWindows(tx, windows)
                .chain(() -> writeAlerts(tx, transitions))
                .chain(() -> writeProgress(tx, topic, progress, sizeMs, slideMs))
                .chain(() -> correct(tx, late)));
    }

    private Uni<Void> writeProgress(SqlClient tx, String topic, Map<Integer, PartitionProgress> progress, long sizeMs,
                                    long slideMs) {
        if (progress.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = new ArrayList<>();
        progress.forEach((partition, p) -> rows.add(Tuple.of(topic, partition, sizeMs, slideMs, time(p.finalUpTo()),
                p.readThroughOffset())));
        return tx.preparedQuery("INSERT INTO " + schema + ".analyzer_progress AS p"
                        + " (topic, kafka_partition, window_size_ms, window_slide_ms, final_up_to, read_through_offset)"
                        + " VALUES ($1, $2, $3, $4, $5, $6)"
                        + " ON CONFLICT (topic, kafka_partition, window_size_ms, window_slide_ms)"
                        + " DO UPDATE SET final_up_to = GREATEST(p.final_up_to, EXCLUDED.final_up_to),"
                        + " read_through_offset = GREATEST(p.read_through_offset, EXCLUDED.read_through_offset)")
                .executeBatch(rows).replaceWithVoid();
    }

    /** Each window's late rows merged into what is stored (locked meanwhile), written back one revision up. */
    private Uni<List<ClosedWindow>> correct(SqlClient tx, List<LateRows> late) {
        List<ClosedWindow> corrected = new ArrayList<>();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (LateRows rows : late) {
            chain = chain.chain(() -> tx.preparedQuery("SELECT row_count, first_ts, last_ts, stats, revision FROM " + schema
                            + ".window_aggregates WHERE device = $1 AND window_start = $2 AND window_size_ms = $3 FOR UPDATE")
                    .execute(Tuple.of(rows.device(), time(rows.startMicros()), rows.sizeMillis()))
                    .chain(found -> {
                        WindowAccumulator merged = rows.values();
                        int revision = 1;
                        for (Row row : found) {
                            merged = stored(row, rows.measures());
                            merged.merge(rows.values());
                            revision = row.getInteger("revision") + 1;
                        }
                        ClosedWindow window = new ClosedWindow(rows.device(), rows.startMicros(), rows.endMicros(),
                                rows.sizeMillis(), rows.measures(), merged, revision);
                        corrected.add(window);
                        return upsertWindows(tx, List.of(window));
                    }));
        }
        return chain.map(done -> corrected);
    }

    /** A stored window read back (device, window_start, window_end, row_count, first_ts, last_ts, stats, revision). */
    private static ClosedWindow window(Row row, long sizeMs, List<String> measures) {
        return new ClosedWindow(row.getString("device"), micros(row.getOffsetDateTime("window_start")),
                micros(row.getOffsetDateTime("window_end")), sizeMs, measures, stored(row, measures), row.getInteger("revision"));
    }

    private static WindowAccumulator stored(Row row, List<String> measures) {
        JsonObject stats = row.getJsonObject("stats");
        int n = measures.size();
        long[] count = new long[n];
        double[] min = new double[n];
        double[] max = new double[n];
        double[] mean = new double[n];
        for (int m = 0; m < n; m++) {
            JsonObject s = stats.getJsonObject(measures.get(m));
            if (s != null && s.getLong("count", 0L) > 0) {
                count[m] = s.getLong("count");
                min[m] = s.getDouble("min");
                max[m] = s.getDouble("max");
                mean[m] = s.getDouble("mean");
            }
        }
        return WindowAccumulator.restored(row.getLong("row_count"), micros(row.getOffsetDateTime("first_ts")),
                micros(row.getOffsetDateTime("last_ts")), count, min, max, mean);
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
                    w.values().count(), time(w.values().firstTs()), time(w.values().lastTs()), stats, w.revision())));
        }
        return tx.preparedQuery("INSERT INTO " + schema + ".window_aggregates"
                        + " (device, window_start, window_size_ms, window_end, row_count, first_ts, last_ts, stats, revision,"
                        + " unpublished) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true)"
                        + " ON CONFLICT (device, window_start, window_size_ms) DO UPDATE SET"
                        + " window_end = EXCLUDED.window_end, row_count = EXCLUDED.row_count, first_ts = EXCLUDED.first_ts,"
                        + " last_ts = EXCLUDED.last_ts, stats = EXCLUDED.stats, revision = EXCLUDED.revision, updated_at = now(),"
                        + " unpublished = true")
                .executeBatch(rows).replaceWithVoid();
    }

    private Uni<Void> writeAlerts(SqlClient tx, List<AlertTransition> transitions) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (AlertTransition t : transitions) {
            if (t.state() == AlertTransition.State.OPEN) {
                chain = chain.chain(() -> tx.preparedQuery("INSERT INTO " + schema + ".alerts"
                                + " (rule, severity, device, state, opened_window_end, open_value, open_condition, open_unpublished)"
                                + " VALUES ($1, $2, $3, 'open', $4, $5, $6, true) ON CONFLICT (rule, device, opened_window_end) DO NOTHING")
                        .execute(Tuple.from(java.util.Arrays.asList(t.rule(), t.severity(), t.device(), time(t.windowEndMicros()),
                                t.value(), t.condition())))
                        .replaceWithVoid());
            } else {
                chain = chain.chain(() -> tx.preparedQuery("UPDATE " + schema + ".alerts SET state = 'resolved',"
                                + " resolved_window_end = $3, resolve_value = $4, resolve_condition = $5, resolve_unpublished = true"
                                + " WHERE rule = $1 AND device = $2 AND state = 'open'")
                        .execute(Tuple.from(java.util.Arrays.asList(t.rule(), t.device(), time(t.windowEndMicros()),
                                t.value(), t.condition())))
                        .replaceWithVoid());
            }
        }
        return chain;
    }

    /**
     * Sets progress recorded beyond {@code plausibleMicros} back to the end of the latest window stored
     * at or before it (the epoch if none); yields how many partitions it repaired.
     */
    public Uni<Integer> repairImplausibleProgress(String topic, long sizeMs, long slideMs, long plausibleMicros) {
        return pool.preparedQuery("UPDATE " + schema + ".analyzer_progress SET final_up_to = coalesce((SELECT max(window_end)"
                        + " FROM " + schema + ".window_aggregates WHERE window_size_ms = $2 AND window_end <= $4),"
                        + " to_timestamp(0)) WHERE topic = $1 AND window_size_ms = $2 AND window_slide_ms = $3"
                        + " AND final_up_to > $4")
                .execute(Tuple.of(topic, sizeMs, slideMs, time(plausibleMicros)))
                .map(rows -> rows.rowCount());
    }

    /** Per partition of {@code topic}: what is final for this window configuration. */
    public Uni<Map<Integer, PartitionProgress>> progress(String topic, long sizeMs, long slideMs) {
        return pool.preparedQuery("SELECT kafka_partition, final_up_to, read_through_offset FROM " + schema
                        + ".analyzer_progress WHERE topic = $1 AND window_size_ms = $2 AND window_slide_ms = $3")
                .execute(Tuple.of(topic, sizeMs, slideMs))
                .map(rows -> {
                    Map<Integer, PartitionProgress> progress = new HashMap<>();
                    for (Row row : rows) {
                        progress.put(row.getInteger("kafka_partition"), new PartitionProgress(
                                micros(row.getOffsetDateTime("final_up_to")), row.getLong("read_through_offset")));
                    }
                    return progress;
                });
    }

    /**
     * Each device's latest {@code perDevice} stored windows of this size, oldest first per device (what the
     * alert engine needs to pick up streaks after a restart).
     */
    public Uni<List<ClosedWindow>> latestWindows(long sizeMs, int perDevice, List<String> measures) {
        return pool.preparedQuery("SELECT device, window_start, window_end, row_count, first_ts, last_ts, stats, revision"
                        + " FROM (SELECT *, row_number() OVER (PARTITION BY device ORDER BY window_start DESC) AS recent"
                        + " FROM " + schema + ".window_aggregates WHERE window_size_ms = $1) latest"
                        + " WHERE recent <= $2 ORDER BY device, window_start")
                .execute(Tuple.of(sizeMs, perDevice))
                .map(rows -> {
                    List<ClosedWindow> windows = new ArrayList<>();
                    for (Row row : rows) {
                        windows.add(window(row, sizeMs, measures));
                    }
                    return windows;
                });
    }

    /**
     * Records that Kafka acknowledged these windows (at these revisions) and alert transitions. Best effort: if it
     * is lost, the next analyzer to start publishes them again (a duplicate, never a gap).
     */
    public Uni<Void> markPublished(List<ClosedWindow> windows, List<AlertTransition> transitions) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        if (!windows.isEmpty()) {
            List<Tuple> rows = new ArrayList<>(windows.size());
            for (ClosedWindow w : windows) {
                rows.add(Tuple.of(w.device(), time(w.startMicros()), w.sizeMillis(), w.revision()));
            }
            // Only the revision published: a correction stored meanwhile stays to be published.
            chain = chain.chain(() -> pool.preparedQuery("UPDATE " + schema + ".window_aggregates SET unpublished = false"
                            + " WHERE device = $1 AND window_start = $2 AND window_size_ms = $3 AND revision = $4")
                    .executeBatch(rows).replaceWithVoid());
        }
        for (AlertTransition t : transitions) {
            String sql = t.state() == AlertTransition.State.OPEN
                    ? "UPDATE " + schema + ".alerts SET open_unpublished = false WHERE rule = $1 AND device = $2 AND opened_window_end = $3"
                    : "UPDATE " + schema + ".alerts SET resolve_unpublished = false WHERE rule = $1 AND device = $2 AND resolved_window_end = $3";
            chain = chain.chain(() -> pool.preparedQuery(sql)
                    .execute(Tuple.of(t.rule(), t.device(), time(t.windowEndMicros()))).replaceWithVoid());
        }
        return chain;
    }

    /** What an earlier run stored but Kafka never acknowledged: windows (oldest first) and alert transitions. */
    public record Unpublished(List<ClosedWindow> windows, List<AlertTransition> transitions) {
    }

    public Uni<Unpublished> unpublished(long sizeMs, List<String> measures) {
        Uni<List<ClosedWindow>> windows = pool.preparedQuery("SELECT device, window_start, window_end, row_count, first_ts,"
                        + " last_ts, stats, revision FROM " + schema + ".window_aggregates WHERE unpublished AND window_size_ms = $1"
                        + " ORDER BY window_start, device")
                .execute(Tuple.of(sizeMs))
                .map(rows -> {
                    List<ClosedWindow> found = new ArrayList<>();
                    for (Row row : rows) {
                        found.add(window(row, sizeMs, measures));
                    }
                    return found;
                });
        Uni<List<AlertTransition>> alerts = pool.query("SELECT rule, severity, device, opened_window_end, open_value,"
                        + " open_condition, resolved_window_end, resolve_value, resolve_condition, open_unpublished,"
                        + " resolve_unpublished FROM " + schema + ".alerts WHERE open_unpublished OR resolve_unpublished"
                        + " ORDER BY opened_window_end, id").execute()
                .map(rows -> {
                    List<AlertTransition> found = new ArrayList<>();
                    long sizeMicros = sizeMs * 1000;
                    for (Row row : rows) {
                        if (row.getBoolean("open_unpublished")) {
                            long end = micros(row.getOffsetDateTime("opened_window_end"));
                            found.add(new AlertTransition(row.getString("rule"), row.getString("severity"), row.getString("device"),
                                    AlertTransition.State.OPEN, end - sizeMicros, end, row.getDouble("open_value"),
                                    row.getString("open_condition")));
                        }
                        if (row.getBoolean("resolve_unpublished") && row.getOffsetDateTime("resolved_window_end") != null) {
                            long end = micros(row.getOffsetDateTime("resolved_window_end"));
                            found.add(new AlertTransition(row.getString("rule"), row.getString("severity"), row.getString("device"),
                                    AlertTransition.State.RESOLVED, end - sizeMicros, end, row.getDouble("resolve_value"),
                                    row.getString("resolve_condition")));
                        }
                    }
                    return found;
                });
        return windows.chain(w -> alerts.map(a -> new Unpublished(w, a)));
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
