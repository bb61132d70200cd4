package io.streamingarrow.sink.conversion;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.arrow.vector.types.pojo.Schema;
import org.jboss.logging.Logger;

import io.streamingarrow.shared.schema.SchemaFingerprint;
import io.streamingarrow.sink.clickhouse.TableManager;
import io.streamingarrow.sink.clickhouse.TableSchema;

/**
 * Conversion plans by Arrow schema fingerprint, for the one table this sink writes. A refusal is cached
 * like a plan (every message of that schema is refused the same way) until {@link #invalidate()}, which
 * the sink calls when the server rejects an INSERT (the table may have changed). Failures to reach the
 * server are not cached.
 */
public final class PlanCache {

    private static final Logger LOG = Logger.getLogger(PlanCache.class);

    private final TableManager tables;
    private final ConversionPlanner planner;
    private final Map<String, Object> plans = new ConcurrentHashMap<>();

    public PlanCache(TableManager tables, ConversionPlanner planner) {
        this.tables = tables;
        this.planner = planner;
    }

    /** The plan for {@code schema}; throws {@link ConversionRefusedException} or a ClickHouse failure. */
    public ConversionPlan planFor(Schema schema) {
        String key = SchemaFingerprint.of(schema);
        Object cached = plans.get(key);
        if (cached == null) {
            cached = build(schema);
            plans.put(key, cached);
        }
        if (cached instanceof ConversionRefusedException refused) {
            throw new ConversionRefusedException(refused.reason(), refused.getMessage().substring(refused.reason().code().length() + 2));
        }
        return (ConversionPlan) cached;
    }

    private Object build(Schema schema) {
        TableSchema table;
        try {
            table = tables.describe(schema);
        } catch (IllegalArgumentException e) {
            // auto-create cannot express an Arrow type
            return new ConversionRefusedException(ConversionRefusedException.Reason.SCHEMA_MISMATCH, e.getMessage());
        }
        try {
            ConversionPlan plan = planner.plan(schema, table);
            boolean dedupKey = plan.bindings().stream().filter(b -> b.sourceIndex() < 0).count() == 3;
            if (!dedupKey) {
                LOG.warnf("%s.%s lacks %s/%s/%s: rows redelivered by Kafka will be visible duplicates", table.database(),
                        table.table(), ConversionPlanner.PARTITION_COLUMN, ConversionPlanner.OFFSET_COLUMN, ConversionPlanner.ROW_COLUMN);
            }
            if (!plan.extraColumns().isEmpty() || !plan.defaultedColumns().isEmpty()) {
                LOG.infof("schema %s → %s.%s: Arrow columns without a table column %s (dropped), table columns filled by DEFAULT %s",
                        SchemaFingerprint.of(schema), table.database(), table.table(), plan.extraColumns(), plan.defaultedColumns());
            }
            return plan;
        } catch (ConversionRefusedException e) {
            LOG.warnf("schema %s cannot be written: %s", SchemaFingerprint.of(schema), e.getMessage());
            return e;
        }
    }

    public void invalidate() {
        plans.clear();
    }
}
