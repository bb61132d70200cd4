package io.streamingarrow.sink.conversion;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.shared.rows.BadRows;
import io.streamingarrow.shared.rows.RejectedRows;
import io.streamingarrow.shared.rows.RowCopies;
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

    private final ArrowIpcDecoder decoder;
    private final Function<Schema, ConversionPlan> plans;
    /** Above this the reused writer is not kept: one unusual message must not pin a large array in the heap. */
    private static final int KEPT_WRITER_BYTES = 4 << 20;

    /**
     * Reused from message to message, and handed out as it is (EncodedMessage): the sink copies the blocks into its
     * INSERT body, so a message costs no array of its own (at full speed that was most of the sink's allocation, and
     * the young collections it caused promoted the Kafka records still waiting for their INSERT).
     */
    private NativeWriter out = new NativeWriter(64 * 1024);

    /** {@code plans} gives the plan for a message's schema: in the sink, {@code PlanCache::planFor}. */
    public MessageEncoder(ArrowIpcDecoder decoder, Function<Schema, ConversionPlan> plans) {
        this.decoder = decoder;
        this.plans = plans;
    }

    /**
     * {@code message} may be null (a Kafka tombstone): refused like any unreadable message. The result's blocks are
     * valid until the next call. Not thread-safe: one encoder per thread (the sink's pipeline thread has one).
     */
    public EncodedMessage encode(byte[] message, int partition, long offset) {
        if (out.array().length > KEPT_WRITER_BYTES) {
            out = new NativeWriter(64 * 1024); // the last message was unusually large: let its array go
        }
        out.reset();
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
                rejected.addAll(RejectedRows.of(batch, bad, origin[0].firstRow()));
            }
            origin[0] = origin[0].nextBatch(rows);
        });
        if (plan[0] == null) {
            // a stream with a schema and no batches: nothing to insert
            return new EncodedMessage(null, new byte[0], 0);
        }
        return new EncodedMessage(plan[0], out.array(), out.size(), kept[0], rejected);
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
}
