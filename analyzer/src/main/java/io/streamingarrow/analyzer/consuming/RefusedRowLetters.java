package io.streamingarrow.analyzer.consuming;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.analyzer.windowing.RowRefusal;
import io.streamingarrow.analyzer.windowing.WindowAggregator;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.memory.ArrowAllocators;

/**
 * Turns the rows the aggregator refused in one batch into dead letters: per reason, an Arrow file of just
 * those rows (the batch's own schema), with their indexes within the original message as ranges
 * ({@code 3,17-19}, the sink's {@code dlq-rows} convention). If a column cannot be copied row by row, the
 * letter carries the whole original message instead and says which rows are meant.
 */
final class RefusedRowLetters {

    /** {@code value} null: copy not possible, send the original message. */
    record Letter(RowRefusal why, byte[] value, String rows, int count) {
    }

    private final BufferAllocator allocator = ArrowAllocators.root(64L << 20);
    private final ArrowIpcEncoder encoder = ArrowIpcEncoder.seedDefault();

    List<Letter> letters(VectorSchemaRoot batch, WindowAggregator aggregator, int refused, long firstRowInMessage) {
        Map<RowRefusal, List<Integer>> byReason = new EnumMap<>(RowRefusal.class);
        for (int i = 0; i < refused; i++) {
            byReason.computeIfAbsent(aggregator.refusal(i), r -> new ArrayList<>()).add(aggregator.refusedRow(i));
        }
        List<Letter> letters = new ArrayList<>();
        byReason.forEach((why, rows) -> letters.add(new Letter(why, copy(batch, rows), ranges(rows, firstRowInMessage),
                rows.size())));
        return letters;
    }

    private byte[] copy(VectorSchemaRoot batch, List<Integer> rows) {
        try (VectorSchemaRoot out = VectorSchemaRoot.create(batch.getSchema(), allocator)) {
            out.allocateNew();
            for (int c = 0; c < batch.getFieldVectors().size(); c++) {
                FieldVector from = batch.getVector(c);
                FieldVector to = out.getVector(c);
                for (int i = 0; i < rows.size(); i++) {
                    to.copyFromSafe(rows.get(i), i, from);
                }
                to.setValueCount(rows.size());
            }
            out.setRowCount(rows.size());
            return encoder.encode(out);
        } catch (RuntimeException e) { // a vector type without row copies: the original message goes instead
            return null;
        }
    }

    static String ranges(List<Integer> rows, long offset) {
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (i < rows.size()) {
            int j = i;
            while (j + 1 < rows.size() && rows.get(j + 1) == rows.get(j) + 1) {
                j++;
            }
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(offset + rows.get(i));
            if (j > i) {
                text.append('-').append(offset + rows.get(j));
            }
            i = j + 1;
        }
        return text.toString();
    }
}
