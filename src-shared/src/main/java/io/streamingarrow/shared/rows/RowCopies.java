package io.streamingarrow.shared.rows;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Copies chosen rows of a batch into a new batch in the same Arrow memory (inside a decode's handler, the
 * decode's arena, so the decode limit covers the copies). Meant for a batch with bad rows: the good rows
 * for a store, the bad ones for the dead-letter topic. Per row and column: fine for the rare batch with
 * bad rows, not for the hot path.
 */
public final class RowCopies {

    private RowCopies() {
    }

    /** A new batch holding rows {@code rows} (ascending) of {@code batch}; the caller closes it. */
    public static VectorSchemaRoot copy(VectorSchemaRoot batch, int[] rows) {
        List<FieldVector> copies = new ArrayList<>(batch.getFieldVectors().size());
        try {
            for (FieldVector from : batch.getFieldVectors()) {
                FieldVector to = from.getField().createVector(from.getAllocator());
                copies.add(to);
                to.setInitialCapacity(rows.length);
                to.allocateNew();
                for (int i = 0; i < rows.length; i++) {
                    to.copyFromSafe(rows[i], i, from);
                }
                to.setValueCount(rows.length);
            }
            VectorSchemaRoot copy = new VectorSchemaRoot(copies);
            copy.setRowCount(rows.length);
            return copy;
        } catch (RuntimeException e) {
            AutoCloseables.closeNoChecked(() -> AutoCloseables.close(copies));
            throw e;
        }
    }
}
