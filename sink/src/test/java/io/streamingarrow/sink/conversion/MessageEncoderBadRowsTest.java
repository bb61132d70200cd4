package io.streamingarrow.sink.conversion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.rows.RejectedRows;
import io.streamingarrow.shared.rows.RowDefect;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.sink.clickhouse.ClickHouseType;
import io.streamingarrow.sink.clickhouse.TableColumn;
import io.streamingarrow.sink.clickhouse.TableSchema;

/**
 * A message's bad rows are left out of its Native blocks and handed back per batch and defect, while the
 * rows kept keep their index within the message (kafka_row), across batches.
 */
@ExtendWith(ArrowMemoryExtension.class)
class MessageEncoderBadRowsTest {

    private static final long SECOND = 1_000_000L;
    private static final TableSchema TABLE = new TableSchema("db", "t", List.of(
            new TableColumn("device", ClickHouseType.parse("String"), ""),
            new TableColumn("ts", ClickHouseType.parse("DateTime('UTC')"), ""),
            new TableColumn("kafka_partition", ClickHouseType.parse("UInt32"), ""),
            new TableColumn("kafka_offset", ClickHouseType.parse("Int64"), ""),
            new TableColumn("kafka_row", ClickHouseType.parse("UInt32"), "")));

    private static VectorSchemaRoot batch(BufferAllocator allocator, List<byte[]> devices, long[] tsMicros) {
        VarCharVector device = new VarCharVector("device", allocator);
        TimeStampMicroVector ts = new TimeStampMicroVector("ts", allocator);
        device.allocateNew();
        ts.allocateNew(devices.size());
        for (int i = 0; i < devices.size(); i++) {
            device.setSafe(i, devices.get(i));
            ts.set(i, tsMicros[i]);
        }
        VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device, ts));
        root.setRowCount(devices.size());
        return root;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String block(String[] devices, long[] seconds, long[] kafkaRows) {
        StringBuilder hex = new StringBuilder(String.format("%02x%02x", 5, devices.length));
        hex.append(str("device")).append(str("String"));
        for (String d : devices) {
            hex.append(str(d));
        }
        hex.append(str("ts")).append(str("DateTime('UTC')"));
        for (long s : seconds) {
            hex.append(le(s, 4));
        }
        hex.append(str("kafka_partition")).append(str("UInt32"));
        hex.append(le(3, 4).repeat(devices.length));
        hex.append(str("kafka_offset")).append(str("Int64"));
        hex.append(le(42, 8).repeat(devices.length));
        hex.append(str("kafka_row")).append(str("UInt32"));
        for (long r : kafkaRows) {
            hex.append(le(r, 4));
        }
        return hex.toString();
    }

    private static String str(String s) {
        byte[] b = utf8(s);
        return String.format("%02x", b.length) + HexFormat.of().formatHex(b);
    }

    private static String le(long value, int width) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < width; i++) {
            hex.append(String.format("%02x", (value >>> (8 * i)) & 0xFF));
        }
        return hex.toString();
    }

    @Test
    void badRowsLeaveTheBlocksAndKeptRowsKeepTheirMessageIndex(BufferAllocator allocator) {
        long t = 1_700_000_000L;
        byte[] message;
        try (VectorSchemaRoot first = batch(allocator, List.of(utf8("a"), utf8("b"), utf8("c")),
                     new long[] {t * SECOND, -1, (t + 2) * SECOND});
             VectorSchemaRoot second = batch(allocator, List.of(new byte[] {(byte) 0xFF}, utf8("e"), utf8("f\0"), utf8("g")),
                     new long[] {t * SECOND, (t + 4) * SECOND, t * SECOND, 1L << 62})) {
            message = ArrowIpcEncoder.seedDefault().encode(allocator, first.getSchema(), List.of(first, second));
        }
        MessageEncoder encoder = new MessageEncoder(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                schema -> new ConversionPlanner(false).plan(schema, TABLE));

        EncodedMessage encoded = encoder.encode(message, 3, 42);

        assertEquals(3, encoded.rows());
        assertEquals(4, encoded.rejectedRows());
        assertEquals(block(new String[] {"a", "c"}, new long[] {t, t + 2}, new long[] {0, 2})
                        + block(new String[] {"e"}, new long[] {t + 4}, new long[] {4}),
                HexFormat.of().formatHex(encoded.copyOfNativeBlocks()));
        List<String> rejected = new ArrayList<>();
        for (RejectedRows rows : encoded.rejected()) {
            List<String> devices = new ArrayList<>();
            new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(rows.arrowIpc(), (batch, index) -> {
                VarCharVector device = (VarCharVector) batch.getVector("device");
                for (int i = 0; i < batch.getRowCount(); i++) {
                    devices.add(HexFormat.of().formatHex(device.get(i)));
                }
            });
            rejected.add(rows.defect().code() + " " + rows.messageRows() + " " + rows.count() + " " + devices);
        }
        assertEquals(List.of(
                        RowDefect.TIMESTAMP_OUT_OF_RANGE.code() + " 1 1 [62]",
                        RowDefect.TIMESTAMP_OUT_OF_RANGE.code() + " 6 1 [67]",
                        RowDefect.NUL_IN_STRING.code() + " 5 1 [6600]",
                        RowDefect.INVALID_UTF8.code() + " 3 1 [ff]"),
                rejected);
    }

    @Test
    void aBatchOfOnlyBadRowsAddsNoBlock(BufferAllocator allocator) {
        byte[] message;
        try (VectorSchemaRoot all = batch(allocator, List.of(utf8("a"), utf8("b")), new long[] {-1, -2})) {
            message = ArrowIpcEncoder.seedDefault().encode(all);
        }
        EncodedMessage encoded = new MessageEncoder(new ArrowIpcDecoder(DecodeLimits.DEFAULT),
                schema -> new ConversionPlanner(false).plan(schema, TABLE)).encode(message, 0, 0);
        assertEquals(0, encoded.rows());
        assertEquals(0, encoded.nativeLength());
        assertEquals(1, encoded.rejected().size());
        assertEquals("0-1", encoded.rejected().get(0).messageRows());
    }
}
