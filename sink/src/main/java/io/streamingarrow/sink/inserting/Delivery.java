package io.streamingarrow.sink.inserting;

/** What to do with one Kafka message once the INSERT holding its rows is settled. */
public interface Delivery {

    /** The rows are in ClickHouse: acknowledge the message (its offset may be committed). */
    void inserted();

    /**
     * The server refused the INSERT for good: dead-letter the message, then acknowledge it. {@code original} is the
     * message's value as given to {@link InsertBatcher#add(io.streamingarrow.sink.conversion.EncodedMessage, byte[],
     * Delivery, long)}, kept off the heap until now (null if none was given).
     */
    void rejected(Throwable cause, byte[] original);
}
