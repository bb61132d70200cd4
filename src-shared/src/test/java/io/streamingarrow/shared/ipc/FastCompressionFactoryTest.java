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
        assertArrowsOwnCodecReads(allocator, seedMessage(allocator, IpcFraming.STREAM, IpcCompression.LZ4_FRAME));
    }

    @Test
    void ourDecoderReadsArrowsOwnLz4Frames(BufferAllocator allocator) throws Exception {
        assertOurDecoderReads(rewrittenByArrow(allocator, CompressionUtil.CodecType.LZ4_FRAME, java.util.Optional.empty()));
    }

    @Test
    void aCorruptLz4FrameIsRefusedAsCorrupt(BufferAllocator allocator) {
        byte[] message = seedMessage(allocator, IpcFraming.STREAM, IpcCompression.LZ4_FRAME);
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
        assertArrowsOwnCodecReads(allocator, seedMessage(allocator, IpcFraming.FILE, IpcCompression.ZSTD));
    }

    @Test
    void ourDecoderReadsArrowsOwnZstd(BufferAllocator allocator) throws Exception {
        assertOurDecoderReads(rewrittenByArrow(allocator, CompressionUtil.CodecType.ZSTD, java.util.Optional.of(1)));
    }

    @Test
    void aCorruptZstdFrameIsRefusedAsCorruptAndTheNextMessageStillDecodes(BufferAllocator allocator) {
        byte[] message = seedMessage(allocator, IpcFraming.STREAM, IpcCompression.ZSTD);
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

    /** 5 000 seed rows encoded by our encoder. */
    private static byte[] seedMessage(BufferAllocator allocator, IpcFraming framing, IpcCompression compression) {
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 5000)) {
            SeedRows.fill(builder, 0, 5000);
            return builder.encodeAndReset(new ArrowIpcEncoder(framing, compression, 1));
        }
    }

    /** Reads a message (file or stream framing) with Arrow's own codecs (commons-compress, zstd's one-shot calls). */
    private static void assertArrowsOwnCodecReads(BufferAllocator allocator, byte[] message) throws Exception {
        boolean file = message.length > 6 && new String(message, 0, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("ARROW1");
        try (var reader = file
                ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(message), allocator, CommonsCompressionFactory.INSTANCE)
                : new ArrowStreamReader(new ByteArrayInputStream(message), allocator, CommonsCompressionFactory.INSTANCE)) {
            assertTrue(reader.loadNextBatch());
            SeedRowAssertions.assertRows(reader.getVectorSchemaRoot(), 0);
        }
    }

    /** The seed rows written again by Arrow's own writer and codec. */
    private static byte[] rewrittenByArrow(BufferAllocator allocator, CompressionUtil.CodecType codec,
                                           java.util.Optional<Integer> level) throws Exception {
        byte[] plain = seedMessage(allocator, IpcFraming.FILE, IpcCompression.NONE);
        try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(plain), allocator);
             var out = new java.io.ByteArrayOutputStream();
             ArrowFileWriter writer = new ArrowFileWriter(reader.getVectorSchemaRoot(), null,
                     java.nio.channels.Channels.newChannel(out), null, IpcOption.DEFAULT,
                     CommonsCompressionFactory.INSTANCE, codec, level)) {
            writer.start();
            assertTrue(reader.loadNextBatch());
            writer.writeBatch();
            writer.end();
            writer.close();
            return out.toByteArray();
        }
    }

    private static void assertOurDecoderReads(byte[] message) {
        int[] rows = {0};
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            SeedRowAssertions.assertRows(batch, 0);
            rows[0] += batch.getRowCount();
        });
        assertEquals(5000, rows[0]);
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
