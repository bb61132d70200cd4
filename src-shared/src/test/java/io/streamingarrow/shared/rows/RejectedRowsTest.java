package io.streamingarrow.shared.rows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.DecodeLimits;
import io.streamingarrow.shared.testing.ArrowMemoryExtension;
import io.streamingarrow.shared.testing.SeedRows;

/** A batch's bad rows become one dead letter per defect: an Arrow file of just those rows, and their message row ranges. */
@ExtendWith(ArrowMemoryExtension.class)
class RejectedRowsTest {

    @Test
    void oneArrowFilePerDefectHoldingJustItsRows(BufferAllocator allocator) {
        byte[] nul = "x\0y".getBytes(StandardCharsets.UTF_8);
        List<RejectedRows> rejected;
        try (SeedBatchBuilder builder = new SeedBatchBuilder(allocator, 10)) {
            for (int i = 0; i < 10; i++) {
                SeedRows.Row row = SeedRows.expected(i);
                boolean badTs = i == 2 || i == 3 || i == 4 || i == 8;
                builder.append(i == 6 ? nul : ("d" + i).getBytes(StandardCharsets.UTF_8), badTs ? -i : row.tsMicros(), 1f, 2f, 3f, 4f, i);
            }
            BadRows bad = RowScreen.screen(builder.view());
            rejected = RejectedRows.of(builder.view(), bad, 100);
        }
        assertEquals(2, rejected.size());
        RejectedRows ts = rejected.get(0);
        assertEquals(RowDefect.TIMESTAMP_OUT_OF_RANGE, ts.defect());
        assertEquals("102-104,108", ts.messageRows());
        assertEquals(4, ts.count());
        assertTrue(ts.detail().startsWith("message row 102, column 'ts' (timestamp[us]): -2 "), ts.detail());
        assertEquals(List.of("d2", "d3", "d4", "d8"), devices(ts.arrowIpc()));
        RejectedRows nulRows = rejected.get(1);
        assertEquals(RowDefect.NUL_IN_STRING, nulRows.defect());
        assertEquals("106", nulRows.messageRows());
        assertEquals(List.of("x\0y"), devices(nulRows.arrowIpc()));
    }

    private static List<String> devices(byte[] message) {
        List<String> out = new ArrayList<>();
        new ArrowIpcDecoder(DecodeLimits.DEFAULT).decode(message, (batch, index) -> {
            StringColumn device = StringColumn.of(batch.getVector("device"));
            for (int row = 0; row < batch.getRowCount(); row++) {
                out.add(device.get(row));
            }
        });
        return out;
    }

    @Test
    void rowIndexesAreWrittenAsRanges() {
        assertEquals("10-12,15,17-18", RejectedRows.ranges(10, new int[] {0, 1, 2, 5, 7, 8}));
        assertEquals("7", RejectedRows.ranges(7, new int[] {0}));
        int[] alternating = new int[5000];
        for (int i = 0; i < alternating.length; i++) {
            alternating[i] = 2 * i;
        }
        String cut = RejectedRows.ranges(0, alternating);
        assertTrue(cut.endsWith(",…") && cut.length() < 4100, "a header stays bounded: " + cut.length());
    }
}
