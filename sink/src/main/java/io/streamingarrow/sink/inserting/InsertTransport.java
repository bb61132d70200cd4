package io.streamingarrow.sink.inserting;

import java.util.concurrent.CompletionStage;

/** Sends one INSERT body; fails with a ClickHouseException telling whether a retry may help. */
@FunctionalInterface
public interface InsertTransport {

    CompletionStage<Void> insert(String insertSql, byte[] body, boolean gzipped);
}
