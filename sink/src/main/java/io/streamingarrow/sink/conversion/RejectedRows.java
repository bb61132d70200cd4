package io.streamingarrow.sink.conversion;

import io.streamingarrow.shared.rows.RowDefect;

/**
 * Rows of one record batch that share a defect, taken out of the INSERT and bound for the dead-letter
 * topic.
 *
 * @param defect      why (its code is the {@code dlq-reason})
 * @param arrowIpc    an Arrow IPC file (zstd) holding just these rows, with the batch's schema as decoded
 *                    (dictionary columns as plain strings), in message order
 * @param messageRows the rows' indexes within the Kafka message ({@code kafka_row} numbering) as ascending
 *                    ranges, e.g. {@code 3,17-19}; the i-th row of {@code arrowIpc} is the i-th index
 * @param count       how many rows
 * @param detail      what is wrong with the first few of them, for people
 */
public record RejectedRows(RowDefect defect, byte[] arrowIpc, String messageRows, int count, String detail) {
}
