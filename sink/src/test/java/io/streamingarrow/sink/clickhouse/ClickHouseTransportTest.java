package io.streamingarrow.sink.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.streamingarrow.sink.clickhouse.ClickHouseConfig.Transport;

/**
 * Every request the sink makes, through each transport, against the local stack's real ClickHouse
 * (18.16 here; the same assertions hold on current servers): the server's version, text and binary
 * answers, DDL and DESCRIBE, Native inserts of several parts (plain and gzip), and how failures are
 * classified (refused with the server's code, or transient).
 */
class ClickHouseTransportTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void versionComesAsTextWithoutAFormatInTheSql(Transport transport) {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            // The Java client asks for RowBinaryWithNamesAndTypes by default (X-ClickHouse-Format): 18.16 does not
            // know it and a newer server would answer binary. The transport asks for TabSeparated.
            String answer = LocalClickHouse.await(clickHouse.http().query("SELECT version()"));
            ServerVersion version = ServerVersion.parse(answer);
            assertTrue(version.major() >= 18, answer);
            assertEquals(answer.strip() + "\n", answer);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void largeAnswerArrivesWhole(Transport transport) {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            // With the client's LZ4 answers (compress=1, its default) 18.16 sends an empty body.
            String answer = LocalClickHouse.await(clickHouse.http().query(
                    "SELECT number FROM system.numbers LIMIT 200000 FORMAT TabSeparated"));
            String[] lines = answer.split("\n");
            assertEquals(200_000, lines.length);
            assertEquals("0", lines[0]);
            assertEquals("199999", lines[199_999]);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void settingsGoWithTheQuery(Transport transport) {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            String answer = LocalClickHouse.await(clickHouse.http().query(
                    "SELECT value FROM system.settings WHERE name = 'max_block_size' FORMAT TabSeparated",
                    Map.of("max_block_size", "12345")));
            assertEquals("12345\n", answer);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void ddlDescribeAndNativeInsertOfSeveralParts(Transport transport) throws IOException {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            String table = LocalClickHouse.uniqueTable("transport");
            String name = Identifiers.table(LocalClickHouse.DATABASE, table);
            TableManager tables = new TableManager(clickHouse.http(), LocalClickHouse.DATABASE, table, false, Duration.ofSeconds(10));
            ClickHouseException missing = assertThrows(ClickHouseException.class, tables::describe);
            assertEquals(60, missing.code(), "unknown table: auto-create depends on this code, " + missing.getMessage());
            assertFalse(missing.isTransient());

            LocalClickHouse.await(clickHouse.http().query("CREATE TABLE " + name + " (s String, v Int32) ENGINE = Memory"));
            try {
                TableSchema schema = tables.describe();
                assertEquals(List.of("s", "v"), schema.columns().stream().map(TableColumn::name).toList());
                assertEquals(ClickHouseType.parse("Int32"), schema.columns().get(1).type());

                // Three Native blocks made by the server itself, sent as three parts of one body.
                List<byte[]> parts = List.of(block(clickHouse, "a", 1), block(clickHouse, "bb", 20), block(clickHouse, "ccc", 300));
                String insert = "INSERT INTO " + name + " (`s`, `v`) FORMAT Native";
                LocalClickHouse.await(clickHouse.http().insert(insert, parts.stream().map(ByteBuffer::wrap).toList(), false));
                assertEquals("3\t321\ta,bb,ccc\n", clickHouse.query(
                        "SELECT count(), sum(v), arrayStringConcat(arraySort(groupArray(s)), ',') FROM " + name + " FORMAT TabSeparated"));

                // gzip: the batcher compresses the parts into one; the transport only labels it.
                ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
                try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped)) {
                    for (byte[] part : parts) {
                        gzip.write(part);
                    }
                }
                LocalClickHouse.await(clickHouse.http().insert(insert, List.of(ByteBuffer.wrap(gzipped.toByteArray())), true));
                assertEquals("6\t642\n", clickHouse.query("SELECT count(), sum(v) FROM " + name + " FORMAT TabSeparated"));
            } finally {
                clickHouse.query("DROP TABLE IF EXISTS " + name);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void refusalKeepsTheServersCodeAndIsNotRetriedForever(Transport transport) {
        try (LocalClickHouse clickHouse = new LocalClickHouse(transport)) {
            // 18.16 sends no X-ClickHouse-Exception-Code header: the code comes from the message.
            ClickHouseException e = assertThrows(ClickHouseException.class,
                    () -> LocalClickHouse.await(clickHouse.http().query("SELEC 1")));
            assertEquals(62, e.code(), e.getMessage());
            assertEquals(400, e.httpStatus());
            assertFalse(e.isTransient());

            // A Native body the table cannot take is refused, not retried as if the server were away.
            ClickHouseException insert = assertThrows(ClickHouseException.class, () -> LocalClickHouse.await(
                    clickHouse.http().insert("INSERT INTO " + Identifiers.table(LocalClickHouse.DATABASE, "no_such_table_here")
                            + " (`s`) FORMAT Native", List.of(ByteBuffer.wrap(new byte[] {1, 1, 1, (byte) 's'})), false)));
            assertEquals(60, insert.code(), insert.getMessage());
            assertFalse(insert.isTransient());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unknownUserIsRefused(Transport transport) {
        ClickHouseConfig base = LocalClickHouse.config(LocalClickHouse.DATABASE, "unused", transport);
        try (LocalClickHouse local = new LocalClickHouse(transport);
             ClickHouseTransport stranger = LocalClickHouse.open(local.vertx(), new Delegating(base) {
                 public String user() { return "no_such_user"; }
                 public Optional<String> password() { return Optional.of("secret"); }
             }, 2)) {
            ClickHouseException e = assertThrows(ClickHouseException.class,
                    () -> LocalClickHouse.await(stranger.query("SELECT 1")));
            // 192 UNKNOWN_USER on 18.16, 516 AUTHENTICATION_FAILED on current servers
            assertTrue(e.code() == 192 || e.code() == 516, e.getMessage());
            assertFalse(e.isTransient());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unreachableServerIsTransient(Transport transport) {
        ClickHouseConfig base = LocalClickHouse.config(LocalClickHouse.DATABASE, "unused", transport);
        try (LocalClickHouse local = new LocalClickHouse(transport);
             ClickHouseTransport nowhere = LocalClickHouse.open(local.vertx(), new Delegating(base) {
                 public String url() { return "http://127.0.0.1:1"; }
             }, 2)) {
            ClickHouseException e = assertThrows(ClickHouseException.class,
                    () -> LocalClickHouse.await(nowhere.insert("INSERT INTO `db`.`t` (`s`) FORMAT Native", List.of(ByteBuffer.allocate(1)), false)));
            assertTrue(e.isTransient(), e.getMessage());
            assertThrows(ClickHouseException.class, () -> LocalClickHouse.await(nowhere.ping()));
            LocalClickHouse.await(local.http().ping());
        }
    }

    private static byte[] block(LocalClickHouse clickHouse, String s, int v) {
        return LocalClickHouse.await(clickHouse.http().queryBytes(
                "SELECT '" + s + "' AS s, toInt32(" + v + ") AS v FORMAT Native"));
    }

    /** A configuration that differs from another in what a test overrides. */
    private static class Delegating implements ClickHouseConfig {
        private final ClickHouseConfig base;

        Delegating(ClickHouseConfig base) {
            this.base = base;
        }

        public String url() { return base.url(); }
        public Transport transport() { return base.transport(); }
        public Optional<String> caCert() { return base.caCert(); }
        public String user() { return base.user(); }
        public Optional<String> password() { return base.password(); }
        public String database() { return base.database(); }
        public String table() { return base.table(); }
        public boolean autoCreate() { return base.autoCreate(); }
        public boolean gzip() { return base.gzip(); }
        public Duration connectTimeout() { return base.connectTimeout(); }
        public Duration requestTimeout() { return base.requestTimeout(); }
    }
}
