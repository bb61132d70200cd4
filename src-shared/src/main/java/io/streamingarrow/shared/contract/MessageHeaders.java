package io.streamingarrow.shared.contract;

/**
 * The Kafka header names of the services' contract (docs/contract.md), spelled once. Consumers never
 * require any of them: foreign producers send none.
 */
public final class MessageHeaders {

    /** {@code application/vnd.apache.arrow.file} or {@code application/vnd.apache.arrow.stream}. */
    public static final String CONTENT_TYPE = "content-type";
    public static final String SCHEMA_FINGERPRINT = "arrow-schema-fingerprint";
    public static final String ROWS = "arrow-rows";
    public static final String PRODUCER_ID = "producer-id";
    public static final String BATCH_SEQUENCE = "batch-seq";

    /** On arrow_tables_dlq: why, where from, and which service refused the message. */
    public static final String DLQ_REASON = "dlq-reason";
    public static final String DLQ_SOURCE_TOPIC = "dlq-source-topic";
    public static final String DLQ_SOURCE_PARTITION = "dlq-source-partition";
    public static final String DLQ_SOURCE_OFFSET = "dlq-source-offset";
    public static final String DLQ_SERVICE = "dlq-service";
    /** On arrow_tables_dlq, beyond the contract: the refusal's detail for people. */
    public static final String DLQ_ERROR = "dlq-error";
    /**
     * On a dead letter of bad rows (an Arrow file of just those rows): their indexes within the original
     * message, ascending ranges such as {@code 3,17-19}, and how many there are.
     */
    public static final String DLQ_ROWS = "dlq-rows";
    public static final String DLQ_ROW_COUNT = "dlq-row-count";

    private MessageHeaders() {
    }
}
