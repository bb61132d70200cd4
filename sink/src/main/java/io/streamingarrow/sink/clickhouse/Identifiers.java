package io.streamingarrow.sink.clickhouse;

/**
 * Quoting for the only things the sink puts into SQL: configured names and names the server itself
 * reported. Nothing from message content reaches SQL text.
 */
public final class Identifiers {

    private Identifiers() {
    }

    /** A back-quoted identifier, with backslash and back quote escaped as ClickHouse reads them. */
    public static String quote(String identifier) {
        return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`";
    }

    /** A single-quoted string literal. */
    public static String literal(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    public static String table(String database, String table) {
        return quote(database) + "." + quote(table);
    }
}
