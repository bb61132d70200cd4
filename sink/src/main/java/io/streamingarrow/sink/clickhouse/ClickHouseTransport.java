package io.streamingarrow.sink.clickhouse;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Every request the sink makes to ClickHouse: the server's version, {@code DESCRIBE}, DDL, readiness and
 * the Native bulk inserts. Non-blocking: each call returns at once and its stage completes when the
 * server answered; failures complete it with {@link ClickHouseException} (which says whether a retry may
 * help). Two implementations, chosen by {@code sink.clickhouse.transport}: the official ClickHouse Java
 * client ({@link JavaClientTransport}, the default) and the sink's own Vert.x HTTP client
 * ({@link VertxHttpTransport}).
 */
public interface ClickHouseTransport extends AutoCloseable {

    /** Runs {@code sql} and returns the answer as text (TabSeparated unless the SQL names a format). */
    CompletionStage<String> query(String sql);

    /** Runs {@code sql} with query-level settings (URL parameters), e.g. an experimental switch. */
    CompletionStage<String> query(String sql, Map<String, String> settings);

    /** Runs {@code sql} and returns the answer's bytes (for binary formats the SQL names, e.g. RowBinary). */
    CompletionStage<byte[]> queryBytes(String sql);

    /**
     * Sends {@code insertSql} ({@code INSERT INTO <table> (<columns>) FORMAT Native}) with {@code parts} as its
     * body, one after the other and without copying them into one array; {@code gzipped} says the one part
     * already is a gzip stream of the blocks.
     */
    CompletionStage<Void> insert(String insertSql, List<ByteBuffer> parts, boolean gzipped);

    /** Completes normally while the server answers. */
    CompletionStage<Void> ping();

    @Override
    void close();
}
