package io.streamingarrow.sink.inserting;

/** What the batcher reports; implemented over Micrometer by the service. */
public interface InsertMetrics {

    void inserted(long rows, long bytes, long nanos);

    void retried(boolean transientFailure);

    void rejected(long rows);

    InsertMetrics NONE = new InsertMetrics() {
        public void inserted(long rows, long bytes, long nanos) {
        }

        public void retried(boolean transientFailure) {
        }

        public void rejected(long rows) {
        }
    };
}
