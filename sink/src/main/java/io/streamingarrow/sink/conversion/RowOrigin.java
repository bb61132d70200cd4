package io.streamingarrow.sink.conversion;

/**
 * Where a block's rows came from: the Kafka partition and offset of the message, and each row's index
 * within the message. Together they identify each row for de-duplication, so a row keeps its index when
 * bad neighbours were taken out of its batch.
 *
 * @param firstRow index within the message of the batch's first row
 * @param rows     for a block holding some of the batch's rows: the batch row of each block row, ascending;
 *                 null when the block holds the whole batch
 */
public record RowOrigin(int partition, long offset, long firstRow, int[] rows) {

    public RowOrigin(int partition, long offset, long firstRow) {
        this(partition, offset, firstRow, null);
    }

    /** The message row index ({@code kafka_row}) of row {@code row} of the block. */
    public long rowIndex(int row) {
        return firstRow + (rows == null ? row : rows[row]);
    }

    /** The origin of a block holding only {@code batchRows} of this batch. */
    public RowOrigin selecting(int[] batchRows) {
        return new RowOrigin(partition, offset, firstRow, batchRows);
    }

    public RowOrigin nextBatch(int rowsInBatch) {
        return new RowOrigin(partition, offset, firstRow + rowsInBatch);
    }
}
