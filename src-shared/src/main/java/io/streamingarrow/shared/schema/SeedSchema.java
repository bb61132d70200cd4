package io.streamingarrow.shared.schema;

import java.util.List;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns the original pyarrow producer writes to {@code arrow_tables}; every service treats
 * this as the default shape of a sensor reading.
 */
public final class SeedSchema {

    public static final String DEVICE = "device";
    public static final String TS = "ts";
    public static final String CPU_USED = "cpu_used";
    public static final String CPU_FREE = "cpu_free";
    public static final String MEMORY_USED = "memory_used";
    public static final String MEMORY_FREE = "memory_free";
    public static final String RUN_ELAPSED_MS = "run_elapsed_ms";

    /** The four float32 measures, in schema order. */
    public static final List<String> MEASURES = List.of(CPU_USED, CPU_FREE, MEMORY_USED, MEMORY_FREE);

    public static final Schema SCHEMA = new Schema(List.of(
            // pyarrow marks every column nullable unless told otherwise; so do we, for byte-identical schemas.
            Field.nullable(DEVICE, ArrowType.Utf8.INSTANCE),
            Field.nullable(TS, new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            float32(CPU_USED),
            float32(CPU_FREE),
            float32(MEMORY_USED),
            float32(MEMORY_FREE),
            Field.nullable(RUN_ELAPSED_MS, new ArrowType.Int(32, true))));

    /** Fingerprint of {@link #SCHEMA}, sent in the {@code arrow-schema-fingerprint} header. */
    public static final String FINGERPRINT = SchemaFingerprint.of(SCHEMA);

    private SeedSchema() {
    }

    private static Field float32(String name) {
        return new Field(name, FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
    }
}
