package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.schema.SeedSchema;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.SeedRowAssertions;
import io.streamingarrow.shared.testing.SeedRows;

/**
 * Writes what our producer puts on {@code arrow_tables} (file framing, zstd level 1; one and several
 * batches) so that other Arrow implementations can be asked to read it: with
 * {@code -DstreamingArrow.exportDir=DIR} the messages and the rows they must hold go to DIR, where
 * src/test/fixtures-gen/check-java-output.mjs reads them with polars and Arrow JS. Without the property
 * it checks our own round trip of the same messages.
 */
@ExtendWith(ArrowMemoryExtension.class)
class SeedOutputExport {

    private static final int[] BATCH_ROWS = {1000, 1, 2499};

    @Test
    void seedDefaultMessagesForOtherReaders(BufferAllocator allocator) throws IOException {
        ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();
        Map<String, byte[]> messages = new LinkedHashMap<>();
        try (SeedBatchBuilder single = new SeedBatchBuilder(allocator, 1000)) {
            SeedRows.fill(single, 0, 1000);
            messages.put("java-seed-file-zstd-1-batch.arrow", single.encodeAndReset(encoder));
        }
        List<SeedBatchBuilder> builders = new ArrayList<>();
        try {
            int from = 0;
            List<VectorSchemaRoot> batches = new ArrayList<>();
            for (int rows : BATCH_ROWS) {
                SeedBatchBuilder builder = new SeedBatchBuilder(allocator, rows);
                builders.add(builder);
                SeedRows.fill(builder, from, from + rows);
                from += rows;
                batches.add(builder.view());
            }
            messages.put("java-seed-file-zstd-3-batches.arrow", encoder.encode(allocator, SeedSchema.SCHEMA, batches));
        } finally {
            builders.forEach(SeedBatchBuilder::close);
        }

        ArrowIpcDecoder decoder = new ArrowIpcDecoder(DecodeLimits.DEFAULT);
        for (byte[] message : messages.values()) {
            int[] next = {0};
            decoder.decode(message, (batch, index) -> {
                SeedRowAssertions.assertRows(batch, next[0]);
                next[0] += batch.getRowCount();
            });
            assertEquals(IpcFraming.FILE, IpcFraming.detect(message));
        }

        String exportDir = System.getProperty("streamingArrow.exportDir");
        if (exportDir != null) {
            export(Path.of(exportDir), messages);
        }
    }

    private static void export(Path dir, Map<String, byte[]> messages) throws IOException {
        Files.createDirectories(dir);
        List<Map<String, Object>> index = new ArrayList<>();
        for (Map.Entry<String, byte[]> message : messages.entrySet()) {
            Files.write(dir.resolve(message.getKey()), message.getValue());
            int rows = message.getKey().contains("3-batches") ? 1000 + 1 + 2499 : 1000;
            List<Map<String, Object>> expected = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                SeedRows.Row row = SeedRows.expected(i);
                Map<String, Object> values = new LinkedHashMap<>();
                values.put(SeedSchema.DEVICE, row.device());
                values.put(SeedSchema.TS, Long.toString(row.tsMicros())); // a string: JSON numbers lose µs
                values.put(SeedSchema.CPU_USED, row.cpuUsed());
                values.put(SeedSchema.CPU_FREE, row.cpuFree());
                values.put(SeedSchema.MEMORY_USED, row.memoryUsed());
                values.put(SeedSchema.MEMORY_FREE, row.memoryFree());
                values.put(SeedSchema.RUN_ELAPSED_MS, row.runElapsedMs());
                expected.add(values);
            }
            index.add(Map.of("file", message.getKey(), "batches", message.getKey().contains("3-batches") ? 3 : 1,
                    "rows", expected));
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("expected.json").toFile(), index);
    }
}
