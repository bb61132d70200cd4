package io.streamingarrow.producer;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Everything the producer can be told, under {@code producer.*}. */
@ConfigMapping(prefix = "producer")
public interface ProducerConfig {

    /** Names this producer instance in the {@code producer-id} header; defaults to the host name. */
    Optional<String> id();

    Batching batching();

    Encoding encoding();

    HostMetrics hostMetrics();

    Ingest ingest();

    Fleet fleet();

    interface Batching {
        /** Shards rows by device; the Kafka key names the shard, so a device's rows share a partition. */
        @WithDefault("4")
        int shards();

        /**
         * A batch is flushed at the first of max-rows, max-bytes and linger. 8192 rather than 1000: the
         * per-message cost (IPC framing, schema, one zstd frame per buffer, one Kafka record, one decode
         * in each consumer) nearly halved the pipeline's CPU per row in deploy/bench/pipeline-bench.sh.
         */
        @WithDefault("8192")
        int maxRows();

        @WithDefault("4194304")
        long maxBytes();

        @WithDefault("200ms")
        Duration linger();

        /** Batches handed to Kafka and not yet acknowledged; when all are taken, sources are pushed back. */
        @WithDefault("8")
        int maxInFlight();

        /** How long a blocking source (the fleet, shutdown) waits for an in-flight slot before giving up. */
        @WithDefault("30s")
        Duration blockTimeout();
    }

    interface Encoding {
        /** file (what the seed writes) or stream. */
        @WithDefault("file")
        String framing();

        /** zstd, lz4_frame or none. */
        @WithDefault("zstd")
        String compression();

        @WithDefault("1")
        int zstdLevel();
    }

    interface HostMetrics {
        @WithDefault("true")
        boolean enabled();

        /** Sampling interval; read by the scheduler as {@code ${producer.host-metrics.interval}}. */
        @WithDefault("1s")
        Duration interval();

        /** The device name of this host's rows; defaults to the host name. */
        Optional<String> device();

        /** Samples kept while Kafka pushes back; beyond this the oldest are dropped and counted. */
        @WithDefault("300")
        int backlog();
    }

    interface Ingest {
        /** When set, POST /ingest needs {@code Authorization: Bearer <token>}. */
        Optional<String> token();

        /** Larger bodies are refused with 413. */
        @WithDefault("16777216")
        long maxBodyBytes();

        /** Seconds a client is told to wait (Retry-After) when the producer is saturated. */
        @WithDefault("1")
        int retryAfterSeconds();

        /**
         * How long a request waits for Kafka to acknowledge the batches holding its events. A 200 means
         * they are stored (acks=all); events not acknowledged by then are answered 503, as not stored.
         */
        @WithDefault("10s")
        Duration ackTimeout();

        /**
         * Requests waiting for Kafka's acknowledgement at once; beyond this, requests are refused with 429
         * before their body is parsed. Each waiting request holds 8 bytes per event it sent.
         */
        @WithDefault("64")
        int maxPendingRequests();
    }

    interface Fleet {
        @WithDefault("false")
        boolean enabled();

        @WithDefault("100")
        int devices();

        /** Total rate over all devices. */
        @WithDefault("1000")
        int rowsPerSecond();

        /** Same seed, same rows. */
        @WithDefault("42")
        long seed();

        /** Stop after this many rows; 0 runs until shutdown. */
        @WithDefault("0")
        long maxRows();
    }
}
