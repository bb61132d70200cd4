package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.SeedRowAssertions;
import io.streamingarrow.shared.testing.SeedRows;

/**
 * Our codecs against Arrow's own (lz4-java LZ4 frames against commons-compress, zstd through reused contexts against
 * zstd's one-shot calls): each reads what the other writes.
 */
@ExtendWith(ArrowMemoryExtension.class)
class FastCompressionFactoryTest {

    @Test
    void arrowsOwnCodecReadsOurLz4Frames(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            message = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.LZ4_FRAME, 1));
        }
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(message), allocator,
                CommonsCompressionFactory.INSTANCE)) {
            assertTrue(reader.loadNextBatch());
            SeedRowAssertions.assertRows(reader.getVectorSchemaRoot(), 0);
        }
    }

    @Test
    void ourDecoderReadsArrowsOwnLz4Frames(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            byte[] plain = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.NONE, 1));
            // Re-written with Arrow's own LZ4 frame codec.
            try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(plain), allocator);
                 var out = new java.io.ByteArrayOutputStream();
                 ArrowFileWriter writer = new ArrowFileWriter(reader.getVectorSchemaRoot(), null,
                         java.nio.channels.Channels.newChannel(out), null, IpcOption.DEFAULT,
                         CommonsCompressionFactory.INSTANCE, CompressionUtil.CodecType.LZ4_FRAME, java.util.Optional.empty())) {
                writer.start();
                assertTrue(reader.loadNextBatch());
                writer.writeBatch();
                writer.end();
                writer.close();
                message = out.toByteArray();
            }
        }
        int[] rows = {0};
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            SeedRowAssertions.assertRows(batch, 0);
            rows[0] += batch.getRowCount();
        });
        assertEquals(5000, rows[0]);
    }

    @Test
    void aCorruptLz4FrameIsRefusedAsCorrupt(BufferAllocator allocator) {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            message = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.LZ4_FRAME, 1));
        }
        // The LZ4 frame magic number (04 22 4D 18) of the first compressed buffer, broken.
        int at = indexOf(message, new byte[] {0x04, 0x22, 0x4D, 0x18});
        assertTrue(at > 0, "an LZ4 frame in the message");
        message[at] = 0x05;
        ArrowDecodeException e = assertThrows(ArrowDecodeException.class,
                () -> new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> { }));
        assertEquals(ArrowDecodeException.Reason.CORRUPT, e.reason());
    }

    @Test
    void arrowsOwnCodecReadsOurZstd(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            message = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.ZSTD, 1));
        }
        try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(message), allocator,
                CommonsCompressionFactory.INSTANCE)) {
            assertTrue(reader.loadNextBatch());
            SeedRowAssertions.assertRows(reader.getVectorSchemaRoot(), 0);
        }
    }

    @Test
    void ourDecoderReadsArrowsOwnZstd(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            byte[] plain = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.NONE, 1));
            try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(plain), allocator);
                 var out = new java.io.ByteArrayOutputStream();
                 ArrowFileWriter writer = new ArrowFileWriter(reader.getVectorSchemaRoot(), null,
                         java.nio.channels.Channels.newChannel(out), null, IpcOption.DEFAULT,
                         CommonsCompressionFactory.INSTANCE, CompressionUtil.CodecType.ZSTD, java.util.Optional.of(1))) {
                writer.start();
                assertTrue(reader.loadNextBatch());
                writer.writeBatch();
                writer.end();
                writer.close();
                message = out.toByteArray();
            }
        }
        int[] rows = {0};
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            SeedRowAssertions.assertRows(batch, 0);
            rows[0] += batch.getRowCount();
        });
        assertEquals(5000, rows[0]);
    }

    @Test
    void aCorruptZstdFrameIsRefusedAsCorruptAndTheNextMessageStillDecodes(BufferAllocator allocator) {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            message = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.ZSTD, 1));
        }
        byte[] broken = message.clone();
        // The zstd frame magic number (28 B5 2F FD) of the first compressed buffer, then the frame header after it.
        int at = indexOf(broken, new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD});
        assertTrue(at > 0, "a zstd frame in the message");
        for (int i = at + 4; i < Math.min(broken.length, at + 24); i++) {
            broken[i] = (byte) 0xFF;
        }
        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        ArrowDecodeException e = assertThrows(ArrowDecodeException.class, () -> decoder.decode(broken, (batch, index) -> { }));
        assertEquals(ArrowDecodeException.Reason.CORRUPT, e.reason());
        // A context that failed is not handed to the next message.
        int[] rows = {0};
        decoder.decode(message, (batch, index) -> rows[0] += batch.getRowCount());
        assertEquals(5000, rows[0]);
    }

    @Test
    void zstdContextsAreSharedSafelyBetweenThreads(BufferAllocator allocator) throws Exception {
        int threads = 4;
        int messages = 40;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            var results = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
            for (int t = 0; t < threads; t++) {
                int first = t * 100_000;
                results.add(pool.submit(() -> {
                    int rows = 0;
                    try (BufferAllocator child = allocator.newChildAllocator("thread", 0, Long.MAX_VALUE);
                         SeedBatchBuilder builder = new SeedBatchBuilder(child, 2000)) {
                        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
                        for (int m = 0; m < messages; m++) {
                            int start = first + m * 2000;
                            SeedRows.fill(builder, start, start + 2000);
                            byte[] message = builder.encodeAndReset(new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.ZSTD, 1));
                            int[] seen = {0};
                            decoder.decode(message, (batch, index) -> {
                                SeedRowAssertions.assertRows(batch, start);
                                seen[0] += batch.getRowCount();
                            });
                            rows += seen[0];
                        }
                    }
                    return rows;
                }));
            }
            for (var result : results) {
                assertEquals(messages * 2000, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
