package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.DeviceEncoding;
import io.streamingarrow.shared.testing.SeedRowAssertions;
import io.streamingarrow.shared.testing.SeedRows;

@ExtendWith(ArrowMemoryExtension.class)
class ArrowIpcRoundTripTest {

    static Stream<Arguments> everyFramingCodecAndStringType() {
        List<Arguments> cases = new ArrayList<>();
        for (IpcFraming framing : IpcFraming.values()) {
            for (IpcCompression compression : IpcCompression.values()) {
                for (DeviceEncoding strings : DeviceEncoding.values()) {
                    cases.add(Arguments.of(framing, compression, strings));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everyFramingCodecAndStringType")
    void severalBatchesRoundTripExactly(IpcFraming framing, IpcCompression compression, DeviceEncoding strings,
                                        BufferAllocator allocator) throws Exception {
        ArrowIpcEncoder encoder = new ArrowIpcEncoder(framing, compression, 1);
        int[] batchBounds = {0, 1000, 1001, 2500};
        byte[] message;
        try (var dictionaries = new DictionaryProvider.MapDictionaryProvider()) {
            message = encodeBatches(encoder, allocator, strings, batchBounds, dictionaries);
        }

        assertEquals(framing, IpcFraming.detect(message));
        List<Integer> batchRows = new ArrayList<>();
        AtomicInteger nextRow = new AtomicInteger();
        var summary = new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            assertEquals(batchRows.size(), index);
            assertEquals(decodedDeviceType(strings), batch.getVector(SeedSchema.DEVICE).getField().getType());
            SeedRowAssertions.assertRows(batch, nextRow.getAndAdd(batch.getRowCount()));
            batchRows.add(batch.getRowCount());
        });

        assertEquals(List.of(1000, 1, 1499), batchRows);
        assertEquals(2500, summary.rows());
        assertEquals(3, summary.batches());
        assertEquals(framing, summary.framing());
    }

    /** Dictionary columns are handed over decoded, under the column's own name. */
    @Test
    void dictionaryColumnArrivesDecodedUnderItsOwnName(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (var dictionaries = new DictionaryProvider.MapDictionaryProvider()) {
            message = encodeBatches(ArrowIpcEncoder.seedDefault(), allocator, DeviceEncoding.DICTIONARY, new int[] {0, 50}, dictionaries);
        }
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            var device = batch.getVector(SeedSchema.DEVICE);
            assertEquals(ArrowType.Utf8.INSTANCE, device.getField().getType());
            assertEquals(null, device.getField().getDictionary());
            SeedRowAssertions.assertRows(batch, 0);
        });
    }

    /** What the producer sends must open with Arrow's own file reader, not only with our decoder. */
    @Test
    void seedDefaultIsAZstdIpcFileArrowsStandardReaderOpens(BufferAllocator allocator) throws Exception {
        byte[] message;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 1000)) {
            SeedRows.fill(builder, 0, 1000);
            message = builder.encodeAndReset(ArrowIpcEncoder.seedDefault());
        }
        assertArrayEquals("ARROW1".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(message, 6));
        assertArrayEquals("ARROW1".getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(message, message.length - 6, message.length));

        try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(message), allocator,
                CommonsCompressionFactory.INSTANCE)) {
            assertEquals(SeedSchema.SCHEMA, reader.getVectorSchemaRoot().getSchema());
            assertEquals(1, reader.getRecordBlocks().size());
            assertTrue(reader.loadNextBatch());
            SeedRowAssertions.assertRows(reader.getVectorSchemaRoot(), 0);
        }
    }

    @Test
    void zstdShrinksTheSeedRows(BufferAllocator allocator) {
        byte[] zstd;
        byte[] none;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 10_000)) {
            SeedRows.fill(builder, 0, 10_000);
            none = new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.NONE, 0).encode(builder.view());
            zstd = builder.encodeAndReset(ArrowIpcEncoder.seedDefault());
        }
        assertTrue(zstd.length * 2 < none.length, "zstd " + zstd.length + " vs uncompressed " + none.length);
    }

    @Test
    void schemaOnlyMessageHasNoBatches(BufferAllocator allocator) {
        byte[] message;
        message = new ArrowIpcEncoder(IpcFraming.STREAM, IpcCompression.ZSTD, 1).encode(allocator, SeedSchema.SCHEMA, List.of());
        var summary = new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (b, i) -> {
            throw new AssertionError("no batch expected");
        });
        assertEquals(0, summary.batches());
    }

    private static ArrowType decodedDeviceType(DeviceEncoding strings) {
        return switch (strings) {
            case UTF8, DICTIONARY -> ArrowType.Utf8.INSTANCE;
            case LARGE_UTF8 -> ArrowType.LargeUtf8.INSTANCE;
            case UTF8_VIEW -> ArrowType.Utf8View.INSTANCE;
        };
    }

    static byte[] encodeBatches(ArrowIpcEncoder encoder, BufferAllocator allocator, DeviceEncoding strings,
                                int[] bounds, DictionaryProvider.MapDictionaryProvider dictionaries) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            for (int i = 0; i + 1 < bounds.length; i++) {
                batches.add(strings.create(allocator, bounds[i], bounds[i + 1], dictionaries));
            }
            return encoder.encode(allocator, batches.get(0).getSchema(), batches, dictionaries);
        } finally {
            batches.forEach(VectorSchemaRoot::close);
        }
    }
}
