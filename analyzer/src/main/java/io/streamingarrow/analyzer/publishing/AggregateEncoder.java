package io.streamingarrow.analyzer.publishing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;

/**
 * Closed windows as one Arrow IPC message (the shared codec: file framing, zstd 1), for topic
 * {@code arrow_aggregates}: {@code device, window_start, window_end, window_size_ms, row_count,
 * <measure>_min/_max/_mean..., first_ts, last_ts, revision}, timestamps in µs UTC; revision 0 for a window
 * closed on time, n for its n-th correction by late rows (keep the highest).
 */
public final class AggregateEncoder {

    private static final ArrowType MICROS_UTC = new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");

    private final Schema schema;
    private final List<String> measures;
    private final ArrowIpcEncoder encoder;

    public AggregateEncoder(List<String> measures, ArrowIpcEncoder encoder) {
        this.measures = List.copyOf(measures);
        this.encoder = encoder;
        List<Field> fields = new ArrayList<>();
        fields.add(new Field("device", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null));
        fields.add(new Field("window_start", FieldType.notNullable(MICROS_UTC), null));
        fields.add(new Field("window_end", FieldType.notNullable(MICROS_UTC), null));
        fields.add(new Field("window_size_ms", FieldType.notNullable(new ArrowType.Int(64, true)), null));
        fields.add(new Field("row_count", FieldType.notNullable(new ArrowType.Int(64, true)), null));
        for (String measure : measures) {
            for (String stat : List.of("min", "max", "mean")) {
                fields.add(new Field(measure + "_" + stat,
                        FieldType.nullable(new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)), null));
            }
        }
        fields.add(new Field("first_ts", FieldType.notNullable(MICROS_UTC), null));
        fields.add(new Field("last_ts", FieldType.notNullable(MICROS_UTC), null));
        fields.add(new Field("revision", FieldType.notNullable(new ArrowType.Int(32, true)), null));
        this.schema = new Schema(fields);
    }

    public Schema schema() {
        return schema;
    }

    public byte[] encode(BufferAllocator allocator, List<ClosedWindow> windows) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            root.allocateNew();
            VarCharVector device = (VarCharVector) root.getVector("device");
            for (int row = 0; row < windows.size(); row++) {
                ClosedWindow w = windows.get(row);
                device.setSafe(row, w.device().getBytes(StandardCharsets.UTF_8));
                ((TimeStampMicroTZVector) root.getVector("window_start")).setSafe(row, w.startMicros());
                ((TimeStampMicroTZVector) root.getVector("window_end")).setSafe(row, w.endMicros());
                ((BigIntVector) root.getVector("window_size_ms")).setSafe(row, w.sizeMillis());
                ((BigIntVector) root.getVector("row_count")).setSafe(row, w.values().count());
                for (int m = 0; m < measures.size(); m++) {
                    set((Float8Vector) root.getVector(measures.get(m) + "_min"), row, w.values().min(m));
                    set((Float8Vector) root.getVector(measures.get(m) + "_max"), row, w.values().max(m));
                    set((Float8Vector) root.getVector(measures.get(m) + "_mean"), row, w.values().mean(m));
                }
                ((TimeStampMicroTZVector) root.getVector("first_ts")).setSafe(row, w.values().firstTs());
                ((TimeStampMicroTZVector) root.getVector("last_ts")).setSafe(row, w.values().lastTs());
                ((IntVector) root.getVector("revision")).setSafe(row, w.revision());
            }
            root.setRowCount(windows.size());
            return encoder.encode(root);
        }
    }

    private static void set(Float8Vector vector, int row, Double value) {
        if (value == null) {
            vector.setNull(row);
        } else {
            vector.setSafe(row, value);
        }
    }
}
