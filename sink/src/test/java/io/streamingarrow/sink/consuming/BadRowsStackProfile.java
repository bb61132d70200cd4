package io.streamingarrow.sink.consuming;

import java.util.Map;
import java.util.UUID;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * The sink against the local stack's real Kafka and ClickHouse, like {@link LocalStackProfile}, with topics,
 * group and table of its own: the bad-row test's rows and dead letters stay out of the other tests' counts.
 */
public class BadRowsStackProfile implements QuarkusTestProfile {

    /** Kept in a system property: Quarkus loads this class again in its own class loader. */
    public static final String SUFFIX = suffix();
    public static final String TOPIC = "arrow_tables_badrows_" + SUFFIX;
    public static final String DLQ_TOPIC = "arrow_tables_dlq_badrows_" + SUFFIX;
    public static final String TABLE = "sensor_readings_badrows_" + SUFFIX;

    private static synchronized String suffix() {
        String suffix = System.getProperty("streamingarrow.badrowstest.suffix");
        if (suffix == null) {
            suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            System.setProperty("streamingarrow.badrowstest.suffix", suffix);
        }
        return suffix;
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        LocalStackProfile.createTopics(TOPIC, DLQ_TOPIC);
        return Map.of(
                "kafka.bootstrap.servers", LocalStackProfile.KAFKA,
                "mp.messaging.incoming.arrow-tables.topic", TOPIC,
                "mp.messaging.incoming.arrow-tables.group.id", "sink-badrows-" + SUFFIX,
                "mp.messaging.outgoing.arrow-tables-dlq.topic", DLQ_TOPIC,
                "sink.clickhouse.table", TABLE,
                "sink.insert.linger", "200ms",
                "quarkus.log.category.\"io.streamingarrow\".level", "DEBUG");
    }
}
