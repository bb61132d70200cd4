package io.streamingarrow.sink.clickhouse;

/** What {@code SELECT version()} answered, reduced to the features the sink chooses between. */
public record ServerVersion(int major, int minor, String text) {

    public static ServerVersion parse(String text) {
        String[] parts = text.trim().split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
        return new ServerVersion(major, minor, text.trim());
    }

    /** DateTime64 arrived in 20.1. */
    public boolean hasDateTime64() {
        return major >= 20;
    }

    /** LowCardinality is no longer experimental from 19.9 on (18.16 needs allow_experimental_low_cardinality_type). */
    public boolean hasLowCardinality() {
        return major > 19 || (major == 19 && minor >= 9);
    }
}
