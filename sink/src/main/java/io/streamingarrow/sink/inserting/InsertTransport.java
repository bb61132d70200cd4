package io.streamingarrow.sink.inserting;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Sends one INSERT whose body is {@code parts}, one after the other (the messages' Native blocks: sent as
 * they are rather than copied into one array); fails with a ClickHouseException telling whether a retry
 * may help.
 */
@FunctionalInterface
public interface InsertTransport {

    CompletionStage<Void> insert(String insertSql, List<byte[]> parts, boolean gzipped);
}
