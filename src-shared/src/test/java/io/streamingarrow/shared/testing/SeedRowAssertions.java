package io.streamingarrow.shared.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.schema.SeedSchema;

/** Checks decoded rows against {@link SeedRows#expected(int)}, bit for bit. */
public final class SeedRowAssertions {

    private SeedRowAssertions() {
    }

    /** Asserts that row {@code r} of {@code batch} equals expected row {@code firstIndex + r} for every r. */
    public static void assertRows(VectorSchemaRoot batch, int firstIndex) {
        StringColumn device = StringColumn.of(batch.getVector(SeedSchema.DEVICE));
        TimestampColumn ts = TimestampColumn.of(batch.getVector(SeedSchema.TS));
        for (int r = 0; r < batch.getRowCount(); r++) {
            SeedRows.Row want = SeedRows.expected(firstIndex + r);
            String where = "row " + (firstIndex + r);
            assertEquals(want.device(), device.get(r), where);
            assertEquals(want.tsMicros(), ts.micros(r), where);
            assertFloat(want.cpuUsed(), (Float4Vector) batch.getVector(SeedSchema.CPU_USED), r, where);
            assertFloat(want.cpuFree(), (Float4Vector) batch.getVector(SeedSchema.CPU_FREE), r, where);
            assertFloat(want.memoryUsed(), (Float4Vector) batch.getVector(SeedSchema.MEMORY_USED), r, where);
            assertFloat(want.memoryFree(), (Float4Vector) batch.getVector(SeedSchema.MEMORY_FREE), r, where);
            IntVector elapsed = (IntVector) batch.getVector(SeedSchema.RUN_ELAPSED_MS);
            assertEquals(want.runElapsedMs(), elapsed.isNull(r) ? null : elapsed.get(r), where);
        }
    }

    private static void assertFloat(Float want, Float4Vector vector, int row, String where) {
        Float got = vector.isNull(row) ? null : vector.get(row);
        if (want == null || got == null) {
            assertEquals(want, got, where + " " + vector.getName());
        } else {
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), where + " " + vector.getName());
        }
    }
}
