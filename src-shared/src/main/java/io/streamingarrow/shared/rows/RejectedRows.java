package io.streamingarrow.shared.rows;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.shared.ipc.ArrowIpcEncoder;

/**
 * Rows of one record batch that share a defect, ready for the dead-letter topic: what a consumer sends
 * as the value and headers of one dead letter, so that the sink's and the analyzer's bad-row dead letters
 * look the same.
 *
 * @param defect      why ({@link RowDefect#code()} is the {@code dlq-reason})
 * @param arrowIpc    an Arrow IPC file (zstd level 1, as the producer writes) holding just these rows, with
 *                    the batch's schema as decoded (dictionary columns as plain strings), in message order
 * @param messageRows the rows' indexes within the Kafka message (rows of earlier batches counted) as
 *                    ascending ranges, e.g. {@code 3,17-19}; the i-th row of {@code arrowIpc} is the i-th
 *                    index. Cut short with {@code ,…} beyond about 4000 characters (see {@code count}).
 *                    The {@code dlq-rows} header.
 * @param count       how many rows; the {@code dlq-row-count} header
 * @param detail      what is wrong with the first few of them, for people; the {@code dlq-error} header
 */
public record RejectedRows(RowDefect defect, byte[] arrowIpc, String messageRows, int count, String detail) {

    /** Rows named in {@link #detail()}; the rest are counted. */
    private static final int DETAILED_ROWS = 5;
    private static final int MAX_ROWS_TEXT = 4000;

    /**
     * One {@code RejectedRows} per defect found in {@code batch} (in {@link RowDefect} order); call inside
     * the decode's handler, while the batch is alive. {@code firstRowInMessage}: how many rows the
     * message's earlier batches held.
     */
    public static List<RejectedRows> of(VectorSchemaRoot batch, BadRows bad, long firstRowInMessage) {
        List<RejectedRows> out = new ArrayList<>(1);
        for (RowDefect defect : RowDefect.values()) {
            int count = 0;
            for (int i = 0; i < bad.count(); i++) {
                count += bad.defect(i) == defect ? 1 : 0;
            }
            if (count == 0) {
                continue;
            }
            int[] rows = new int[count];
            StringBuilder detail = new StringBuilder();
            for (int i = 0, n = 0; i < bad.count(); i++) {
                if (bad.defect(i) != defect) {
                    continue;
                }
                rows[n++] = bad.row(i);
                if (n <= DETAILED_ROWS) {
                    detail.append(n == 1 ? "" : "; ").append("message row ").append(firstRowInMessage + bad.row(i))
                            .append(", ").append(bad.describe(i));
                }
            }
            if (count > DETAILED_ROWS) {
                detail.append("; … ").append(count).append(" rows in all");
            }
            byte[] ipc;
            try (VectorSchemaRoot badRows = RowCopies.copy(batch, rows)) {
                ipc = ArrowIpcEncoder.seedDefault().encode(badRows);
            }
            out.add(new RejectedRows(defect, ipc, ranges(firstRowInMessage, rows), count, detail.toString()));
        }
        return out;
    }

    /** {@code 3,17-19}: {@code first + rows[i]} as ascending ranges, cut short with ",…" past {@link #MAX_ROWS_TEXT}. */
    static String ranges(long first, int[] rows) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < rows.length; i++) {
            int end = i;
            while (end + 1 < rows.length && rows[end + 1] == rows[end] + 1) {
                end++;
            }
            if (text.length() > MAX_ROWS_TEXT) {
                return text.append(",…").toString();
            }
            text.append(text.length() == 0 ? "" : ",").append(first + rows[i]);
            if (end > i) {
                text.append('-').append(first + rows[end]);
            }
            i = end;
        }
        return text.toString();
    }
}
