package io.streamingarrow.sink.clickhouse;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.arrow.vector.types.pojo.Schema;
import org.jboss.logging.Logger;

/**
 * Reads the target table's columns from the server ({@code DESCRIBE TABLE} with quoted identifiers)
 * and creates the table from an Arrow schema when it is missing and auto-create is on. Blocking: called
 * from the sink's pipeline thread, never from an event loop.
 */
public final class TableManager {

    private static final Logger LOG = Logger.getLogger(TableManager.class);
    private static final int UNKNOWN_TABLE = 60;

    private final ClickHouseTransport clickHouse;
    private final String database;
    private final String table;
    private final boolean autoCreate;
    private final Duration timeout;
    private volatile ServerVersion version;

    public TableManager(ClickHouseTransport clickHouse, String database, String table, boolean autoCreate, Duration timeout) {
        this.clickHouse = clickHouse;
        this.database = database;
        this.table = table;
        this.autoCreate = autoCreate;
        this.timeout = timeout;
    }

    public String database() {
        return database;
    }

    public String table() {
        return table;
    }

    public ServerVersion version() {
        ServerVersion v = version;
        if (v == null) {
            v = ServerVersion.parse(await(clickHouse.query("SELECT version()")));
            version = v;
        }
        return v;
    }

    /** The table's columns; creates the table from {@code arrowSchema} first if it is missing and allowed. */
    public TableSchema describe(Schema arrowSchema) {
        try {
            return describe();
        } catch (ClickHouseException e) {
            if (e.code() != UNKNOWN_TABLE || !autoCreate) {
                throw e;
            }
        }
        String ddl = TableDdl.createTable(database, table, arrowSchema, version());
        LOG.infof("creating %s.%s on ClickHouse %s:%n%s", database, table, version().text(), ddl);
        await(clickHouse.query(ddl));
        return describe();
    }

    public TableSchema describe() {
        String tsv = await(clickHouse.query("DESCRIBE TABLE " + Identifiers.table(database, table) + " FORMAT TabSeparated"));
        return TableSchema.parseDescribe(database, table, tsv);
    }

    private <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw ClickHouseException.unreachable(e.getCause());
        } catch (TimeoutException e) {
            throw ClickHouseException.unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ClickHouseException.unreachable(e);
        }
    }
}
