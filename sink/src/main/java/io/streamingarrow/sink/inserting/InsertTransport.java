package io.streamingarrow.sink.inserting;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Sends one INSERT whose body is {@code parts}, one after the other (the chunks of an {@link InsertBody}: sent
 * as they are rather than copied into one array; read-only views, each read from its position to its limit); fails with a ClickHouseException telling whether a retry
 * may help.
 */
@FunctionalInterface
public interface InsertTransport {

    CompletionStage<Void> insert(String insertSql, List<ByteBuffer> parts, boolean gzipped);
}
