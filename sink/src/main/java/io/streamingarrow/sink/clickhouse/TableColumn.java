package io.streamingarrow.sink.clickhouse;

/**
 * One column of the target table as DESCRIBE TABLE reports it.
 *
 * @param defaultKind empty, DEFAULT, MATERIALIZED or ALIAS; MATERIALIZED and ALIAS columns cannot be inserted
 */
public record TableColumn(String name, ClickHouseType type, String defaultKind) {

    public boolean insertable() {
        return !"MATERIALIZED".equals(defaultKind) && !"ALIAS".equals(defaultKind);
    }
}
