package io.streamingarrow.shared.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * The physical string types other Arrow writers use for {@code device}: builds a seed batch whose
 * device column is of that type, as pyarrow (LargeUtf8), polars (Utf8View) or a categorical
 * column (dictionary) would send it.
 */
public enum DeviceEncoding {
    UTF8, LARGE_UTF8, UTF8_VIEW, DICTIONARY;

    private static final long DICTIONARY_ID = 1;
    /** Every device name {@link SeedRows} produces, so one dictionary serves every batch of a message. */
    private static final List<String> DEVICE_NAMES = java.util.stream.IntStream.range(0, 7)
            .boxed()
            .flatMap(d -> java.util.stream.Stream.of("sensor-" + d, "sensor-" + d + "-ünï"))
            .toList();

    /** A seed batch of rows [from, to) with this device encoding; dictionaries go into {@code provider}. */
    public VectorSchemaRoot create(BufferAllocator allocator, int from, int to,
                                   DictionaryProvider.MapDictionaryProvider provider) {
        SeedBatchBuilder builder = new SeedBatchBuilder(allocator, Math.max(1, to - from));
        SeedRows.fill(builder, from, to);
        VectorSchemaRoot seed = builder.view();
        if (this == UTF8) {
            return transferOut(seed, builder, allocator);
        }
        try (builder) {
            List<FieldVector> vectors = new ArrayList<>();
            List<Field> fields = new ArrayList<>();
            for (FieldVector vector : seed.getFieldVectors()) {
                if (vector.getName().equals(SeedSchema.DEVICE)) {
                    FieldVector converted = convertDevice((VarCharVector) vector, allocator, provider);
                    vectors.add(converted);
                    fields.add(converted.getField());
                } else {
                    var transfer = vector.getTransferPair(allocator);
                    transfer.transfer();
                    vectors.add((FieldVector) transfer.getTo());
                    fields.add(vector.getField());
                }
            }
            VectorSchemaRoot root = new VectorSchemaRoot(fields, vectors, to - from);
            return root;
        }
    }

    private static VectorSchemaRoot transferOut(VectorSchemaRoot seed, SeedBatchBuilder builder, BufferAllocator allocator) {
        try (builder) {
            List<FieldVector> vectors = new ArrayList<>();
            for (FieldVector vector : seed.getFieldVectors()) {
                var transfer = vector.getTransferPair(allocator);
                transfer.transfer();
                vectors.add((FieldVector) transfer.getTo());
            }
            return new VectorSchemaRoot(new Schema(seed.getSchema().getFields()).getFields(), vectors, seed.getRowCount());
        }
    }

    private FieldVector convertDevice(VarCharVector source, BufferAllocator allocator,
                                      DictionaryProvider.MapDictionaryProvider provider) {
        int rows = source.getValueCount();
        switch (this) {
            case LARGE_UTF8 -> {
                LargeVarCharVector out = new LargeVarCharVector(
                        new Field(SeedSchema.DEVICE, FieldType.nullable(ArrowType.LargeUtf8.INSTANCE), null), allocator);
                out.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    out.setSafe(i, source.get(i));
                }
                out.setValueCount(rows);
                return out;
            }
            case UTF8_VIEW -> {
                ViewVarCharVector out = new ViewVarCharVector(
                        new Field(SeedSchema.DEVICE, FieldType.nullable(ArrowType.Utf8View.INSTANCE), null), allocator);
                out.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    out.setSafe(i, source.get(i));
                }
                out.setValueCount(rows);
                return out;
            }
            case DICTIONARY -> {
                DictionaryEncoding encoding = new DictionaryEncoding(DICTIONARY_ID, false, new ArrowType.Int(32, true));
                if (provider.lookup(DICTIONARY_ID) == null) {
                    VarCharVector values = new VarCharVector("device-dictionary", allocator);
                    values.allocateNew(DEVICE_NAMES.size());
                    for (int id = 0; id < DEVICE_NAMES.size(); id++) {
                        values.setSafe(id, DEVICE_NAMES.get(id).getBytes(StandardCharsets.UTF_8));
                    }
                    values.setValueCount(DEVICE_NAMES.size());
                    provider.put(new Dictionary(values, encoding));
                }
                IntVector indices = new IntVector(new Field(SeedSchema.DEVICE,
                        new FieldType(true, new ArrowType.Int(32, true), encoding), null), allocator);
                indices.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    indices.set(i, DEVICE_NAMES.indexOf(new String(source.get(i), StandardCharsets.UTF_8)));
                }
                indices.setValueCount(rows);
                return indices;
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
