package io.streamingarrow.sink.conversion;

import java.util.function.Function;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import io.streamingarrow.sink.clickhouse.NativeWriter;

/**
 * Decodes one Arrow IPC message (any framing, codec and string type) and encodes its batches as Native
 * blocks for the table. Throws {@link io.streamingarrow.shared.ipc.ArrowDecodeException} or
 * {@link ConversionRefusedException} for a message that can never be written (dead-letter it), and
 * {@link io.streamingarrow.sink.clickhouse.ClickHouseException} when the table's columns could not be read.
 */
public final class MessageEncoder {

    private final ArrowIpcDecoder decoder;
    private final Function<Schema, ConversionPlan> plans;

    /** {@code plans} gives the plan for a message's schema: in the sink, {@code PlanCache::planFor}. */
    public MessageEncoder(ArrowIpcDecoder decoder, Function<Schema, ConversionPlan> plans) {
        this.decoder = decoder;
        this.plans = plans;
    }

    public EncodedMessage encode(byte[] message, int partition, long offset) {
        NativeWriter out = new NativeWriter(Math.max(1024, message.length * 2));
        ConversionPlan[] plan = new ConversionPlan[1];
        RowOrigin[] origin = {new RowOrigin(partition, offset, 0)};
        ArrowIpcDecoder.Summary summary = decoder.decode(message, (VectorSchemaRoot batch, int index) -> {
            if (plan[0] == null) {
                plan[0] = plans.apply(batch.getSchema());
            }
            if (batch.getRowCount() > 0) {
                plan[0].encode(batch, origin[0], out);
            }
            origin[0] = origin[0].nextBatch(batch.getRowCount());
        });
        if (plan[0] == null) {
            // a stream with a schema and no batches: nothing to insert
            return new EncodedMessage(null, new byte[0], 0);
        }
        return new EncodedMessage(plan[0], out.toByteArray(), summary.rows());
    }
}
