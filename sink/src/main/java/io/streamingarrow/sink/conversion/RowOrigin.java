package io.streamingarrow.sink.conversion;

/**
 * Where a batch's rows came from: the Kafka partition and offset of the message, and the index of the
 * batch's first row within the message. Together they identify each row for de-duplication.
 */
public record RowOrigin(int partition, long offset, long firstRow) {

    public RowOrigin nextBatch(int rowsInBatch) {
        return new RowOrigin(partition, offset, firstRow + rowsInBatch);
    }
}
