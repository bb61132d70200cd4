package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowDecodeException.Reason;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.SeedRows;

/**
 * Whatever bytes arrive, the decoder either decodes them or throws {@link ArrowDecodeException} with a
 * reason, and never leaks Arrow memory (checked by the extension after each test).
 */
@ExtendWith(ArrowMemoryExtension.class)
class ArrowIpcDecoderRefusesBadInputTest {

    private static final ArrowIpcDecoder.BatchHandler IGNORE = (batch, index) -> { };

    private static byte[] seedMessage(BufferAllocator allocator, IpcFraming framing, IpcCompression compression, int rows) {
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, rows)) {
            SeedRows.fill(builder, 0, rows);
            return builder.encodeAndReset(new ArrowIpcEncoder(framing, compression, 1));
        }
    }

    @Test
    void emptyMessage(BufferAllocator allocator) {
        var e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(new byte[0], IGNORE));
        assertEquals(Reason.EMPTY, e.reason());
    }

    /** A Kafka tombstone arrives as a null value: a typed refusal, never a NullPointerException. */
    @Test
    void nullMessageIsATombstone(BufferAllocator allocator) {
        var e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(null, IGNORE));
        assertEquals(Reason.TOMBSTONE, e.reason());
        assertTrue(e.getMessage().contains("null (tombstone) message"), e.getMessage());
        var empty = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(new byte[0], IGNORE));
        assertTrue(empty.getMessage().contains("empty message"), empty.getMessage());
    }

    @Test
    void textIsNotArrow(BufferAllocator allocator) {
        byte[] json = "{\"device\":\"sensor-1\",\"cpu_used\":12.5}".getBytes();
        var e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(json, IGNORE));
        assertTrue(Set.of(Reason.CORRUPT, Reason.TRUNCATED).contains(e.reason()), e.getMessage());
    }

    /** Every prefix of a valid message is refused as truncated or corrupt, never decoded as something else. */
    @ParameterizedTest
    @EnumSource(IpcFraming.class)
    void everyTruncationIsRefused(IpcFraming framing, BufferAllocator allocator) {
        byte[] whole = seedMessage(allocator, framing, IpcCompression.ZSTD, 40);
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        int decodedPrefixes = 0;
        for (int length = 0; length < whole.length; length++) {
            byte[] prefix = Arrays.copyOf(whole, length);
            try {
                var summary = decoder.decode(prefix, IGNORE);
                // A stream cut exactly between messages is a valid shorter stream; it must not invent rows.
                assertEquals(IpcFraming.STREAM, framing, "a cut IPC file must never decode (length " + length + ")");
                assertTrue(summary.rows() == 0 || summary.rows() == 40, "rows " + summary.rows());
                decodedPrefixes++;
            } catch (ArrowDecodeException expected) {
                assertTrue(EnumSet.of(Reason.EMPTY, Reason.TRUNCATED, Reason.CORRUPT).contains(expected.reason()),
                        "length " + length + ": " + expected.getMessage());
            }
        }
        assertTrue(decodedPrefixes <= 2, "only cuts at message boundaries may decode, got " + decodedPrefixes);
    }

    /** Random single-byte corruption anywhere: decoded or refused with a reason, never another exception or a leak. */
    @ParameterizedTest
    @EnumSource(IpcCompression.class)
    void randomCorruptionIsDecodedOrRefused(IpcCompression compression, BufferAllocator allocator) {
        Random random = new Random(42);
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(new DecodeLimits(1 << 20, 16 << 20, 100_000, 1000));
        for (IpcFraming framing : IpcFraming.values()) {
            byte[] whole = seedMessage(allocator, framing, compression, 64);
            for (int attempt = 0; attempt < 800; attempt++) {
                byte[] corrupt = whole.clone();
                int flips = 1 + random.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    corrupt[random.nextInt(corrupt.length)] = (byte) random.nextInt(256);
                }
                try {
                    decoder.decode(corrupt, (batch, index) -> touchEveryValue(batch));
                } catch (ArrowDecodeException refused) {
                    assertTrue(refused.getMessage().length() > 10, refused.getMessage());
                } catch (RuntimeException | Error other) {
                    fail("corruption must give ArrowDecodeException, got " + other + " for " + framing + " attempt " + attempt, other);
                }
            }
        }
    }

    private static void touchEveryValue(VectorSchemaRoot batch) {
        for (var vector : batch.getFieldVectors()) {
            for (int row = 0; row < batch.getRowCount(); row++) {
                vector.getObject(row);
            }
        }
    }

    @Test
    void messageOverTheByteLimit(BufferAllocator allocator) {
        byte[] message = seedMessage(allocator, IpcFraming.FILE, IpcCompression.NONE, 1000);
        var limits = new DecodeLimits(message.length - 1, 1 << 30, 1_000_000, 100);
        var e = assertThrows(ArrowDecodeException.class, () -> new ArrowIpcDecoder(limits).decode(message, IGNORE));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(IpcFraming.class)
    void messageOverTheRowLimit(IpcFraming framing, BufferAllocator allocator) {
        byte[] message = seedMessage(allocator, framing, IpcCompression.ZSTD, 1000);
        var limits = new DecodeLimits(1 << 30, 1 << 30, 999, 100);
        var e = assertThrows(ArrowDecodeException.class, () -> new ArrowIpcDecoder(limits).decode(message, IGNORE));
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    /** A decompression bomb: a tiny zstd message that inflates far past the decode memory limit. */
    @Test
    void decompressionBombIsRefusedByTheMemoryLimit(BufferAllocator allocator) {
        int rows = 2_000_000; // 8 MB per float column, all zeros: compresses to almost nothing
        byte[] bomb;
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SeedSchema.SCHEMA, allocator)) {
            root.allocateNew();
            Float4Vector cpu = (Float4Vector) root.getVector(SeedSchema.CPU_USED);
            cpu.allocateNew(rows);
            cpu.getDataBuffer().setZero(0, cpu.getDataBuffer().capacity());
            for (int i = 0; i < rows; i++) {
                cpu.setIndexDefined(i);
            }
            root.setRowCount(rows);
            bomb = new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.ZSTD, 3).encode(root);
        }
        assertTrue(bomb.length < 200_000, "bomb is " + bomb.length + " bytes");
        var limits = new DecodeLimits(1 << 20, 4 << 20, 10_000_000, 100);
        var e = assertThrows(ArrowDecodeException.class, () -> new ArrowIpcDecoder(limits).decode(bomb, IGNORE));
        assertEquals(Reason.TOO_LARGE, e.reason(), e.getMessage());
    }

    /** A metadata length of ~2 GiB must be refused from the envelope, before any allocation. */
    @Test
    void hostileMetadataLengthIsRefusedBeforeAllocating(BufferAllocator allocator) {
        byte[] stream = seedMessage(allocator, IpcFraming.STREAM, IpcCompression.NONE, 10);
        ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE - 7);
        var e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(stream, IGNORE));
        assertEquals(Reason.TRUNCATED, e.reason());
        assertTrue(e.getMessage().contains("declares"), e.getMessage());
    }

    @Test
    void fileFooterPointingOutsideTheFileIsCorrupt(BufferAllocator allocator) {
        byte[] file = seedMessage(allocator, IpcFraming.FILE, IpcCompression.NONE, 10);
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(file.length - 10, file.length); // footer length larger than the file
        var e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(file, IGNORE));
        assertEquals(Reason.CORRUPT, e.reason());
    }

    /** A handler's own exception is not a decode error: it propagates unchanged and memory is still released. */
    @Test
    void handlerExceptionsPropagateUnwrapped(BufferAllocator allocator) {
        byte[] message = seedMessage(allocator, IpcFraming.FILE, IpcCompression.ZSTD, 10);
        var thrown = assertThrows(IllegalStateException.class, () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT)
                .decode(message, (batch, index) -> {
                    throw new IllegalStateException("downstream failed");
                }));
        assertEquals("downstream failed", thrown.getMessage());
    }
}
