package io.streamingarrow.sink.conversion;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.rows.BadRows;
import io.streamingarrow.shared.rows.RowDefect;
import io.streamingarrow.shared.rows.RowScreen;
import io.streamingarrow.sink.clickhouse.NativeWriter;

/**
 * Decodes one Arrow IPC message (any framing, codec and string type) and encodes its batches as Native
 * blocks for the table. Rows the stores cannot hold ({@link RowScreen}) are left out of the blocks and
 * handed back as {@link RejectedRows}, so that one bad row costs only itself; the rows kept keep their
 * index within the message ({@code kafka_row}), so a redelivery still collapses onto the same keys.
 * Throws {@link io.streamingarrow.shared.ipc.ArrowDecodeException} or {@link ConversionRefusedException}
 * for a message that can never be written as a whole (dead-letter it), and
 * {@link io.streamingarrow.sink.clickhouse.ClickHouseException} when the table's columns could not be read.
 */
public final class MessageEncoder {

    /** Rows named in a dead letter's detail; the rest are counted. */
    private static final int DETAILED_ROWS = 5;
    /** Bound of {@link RejectedRows#messageRows()}, which becomes a Kafka header. */
    private static final int MAX_ROWS_TEXT = 4000;

    private final ArrowIpcDecoder decoder;
    private final Function<Schema, ConversionPlan> plans;
    private final ArrowIpcEncoder rejectedEncoder = ArrowIpcEncoder.seedDefault();

    /** {@code plans} gives the plan for a message's schema: in the sink, {@code PlanCache::planFor}. */
    public MessageEncoder(ArrowIpcDecoder decoder, Function<Schema, ConversionPlan> plans) {
        this.decoder = decoder;
        this.plans = plans;
    }

    /** {@code message} may be null (a Kafka tombstone): refused like any unreadable message. */
    public EncodedMessage encode(byte[] message, int partition, long offset) {
        NativeWriter out = new NativeWriter(Math.max(1024, message == null ? 0 : message.length * 2));
        ConversionPlan[] plan = new ConversionPlan[1];
        RowOrigin[] origin = {new RowOrigin(partition, offset, 0)};
        long[] kept = {0};
        List<RejectedRows> rejected = new ArrayList<>(0);
        decoder.decode(message, (VectorSchemaRoot batch, int index) -> {
            if (plan[0] == null) {
                plan[0] = plans.apply(batch.getSchema());
            }
            int rows = batch.getRowCount();
            BadRows bad = rows == 0 ? BadRows.NONE : RowScreen.screen(batch);
            if (bad.isEmpty()) {
                if (rows > 0) {
                    plan[0].encode(batch, origin[0], out);
                    kept[0] += rows;
                }
            } else {
                kept[0] += encodeGoodRows(plan[0], batch, bad, origin[0], out);
                reject(batch, bad, origin[0], rejected);
            }
            origin[0] = origin[0].nextBatch(rows);
        });
        if (plan[0] == null) {
            // a stream with a schema and no batches: nothing to insert
            return new EncodedMessage(null, new byte[0], 0);
        }
        return new EncodedMessage(plan[0], out.toByteArray(), kept[0], rejected);
    }

    private static int encodeGoodRows(ConversionPlan plan, VectorSchemaRoot batch, BadRows bad, RowOrigin origin, NativeWriter out) {
        int[] good = new int[batch.getRowCount() - bad.count()];
        if (good.length == 0) {
            return 0;
        }
        for (int row = 0, n = 0; row < batch.getRowCount(); row++) {
            if (!bad.isBad(row)) {
                good[n++] = row;
            }
        }
        try (VectorSchemaRoot goodRows = RowCopies.copy(batch, good)) {
            plan.encode(goodRows, origin.selecting(good), out);
        }
        return good.length;
    }

    /** One {@link RejectedRows} per defect found in the batch. */
    private void reject(VectorSchemaRoot batch, BadRows bad, RowOrigin origin, List<RejectedRows> into) {
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
                    detail.append(n == 1 ? "" : "; ").append("message row ").append(origin.rowIndex(bad.row(i)))
                            .append(", ").append(bad.describe(i));
                }
            }
            if (count > DETAILED_ROWS) {
                detail.append("; … ").append(count).append(" rows in all");
            }
            byte[] ipc;
            try (VectorSchemaRoot badRows = RowCopies.copy(batch, rows)) {
                ipc = rejectedEncoder.encode(badRows);
            }
            into.add(new RejectedRows(defect, ipc, ranges(origin, rows), count, detail.toString()));
        }
    }

    /** {@code 3,17-19}: the message row indexes of {@code rows}, cut short with "…" past {@link #MAX_ROWS_TEXT}. */
    static String ranges(RowOrigin origin, int[] rows) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < rows.length; i++) {
            int end = i;
            while (end + 1 < rows.length && rows[end + 1] == rows[end] + 1) {
                end++;
            }
            if (text.length() > MAX_ROWS_TEXT) {
                return text.append(",…").toString();
            }
            text.append(text.length() == 0 ? "" : ",").append(origin.rowIndex(rows[i]));
            if (end > i) {
                text.append('-').append(origin.rowIndex(rows[end]));
            }
            i = end;
        }
        return text.toString();
    }
}
