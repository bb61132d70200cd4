package io.streamingarrow.analyzer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Everything the analyzer can be told, under {@code analyzer.*}. */
@ConfigMapping(prefix = "analyzer")
public interface AnalyzerConfig {

    Window window();

    /** The numeric columns aggregated per window (nulls skipped). */
    @WithDefault("cpu_used,cpu_free,memory_used,memory_free")
    List<String> measures();

    /** Alert rules by name: {@code analyzer.alerts.<name>.when=avg(cpu_used) > 90}. */
    Map<String, Alert> alerts();

    Store store();

    Output output();

    interface Window {
        /** Window size; tumbling unless a slide is given. */
        @WithDefault("10s")
        Duration size();

        /** Hopping windows: a new window every slide (must divide into size evenly for clean windows). */
        Optional<Duration> slide();

        /** How far behind the newest event time an event may arrive and still count. */
        @WithDefault("5s")
        Duration allowedLateness();

        /**
         * A partition silent this long (wall time) stops holding the watermark back, but only if the broker
         * also says this consumer has read it to its end (see end-offsets-max-age).
         */
        @WithDefault("15s")
        Duration idleTimeout();

        /**
         * The broker is asked for end offsets every second; an answer older than this (the broker cannot be
         * reached) makes no partition idle, so an outage never closes windows whose rows are still to come.
         */
        @WithDefault("5s")
        Duration endOffsetsMaxAge();

        /**
         * A row whose time is further than this ahead of the analyzer's wall clock is refused (dead-lettered
         * as a bad row), so that no single row moves a partition's event time, and with it what is final,
         * past what is plausible. One minute tolerates device clocks that are somewhat off; a row that is
         * within it can make at most about that much of its partition's later rows late.
         */
        @WithDefault("1m")
        Duration maxFutureSkew();

        /** How long one end-offset question may take. */
        @WithDefault("3s")
        Duration endOffsetsTimeout();

        /**
         * Late rows (for windows already closed) are always counted; with this on they also correct their
         * window: merged into the stored aggregate, written back as its next revision and published again.
         */
        @WithDefault("false")
        boolean lateCorrections();

        /** Bound on windows held open at once (all devices), late-row corrections in flight included. */
        @WithDefault("1000000")
        int maxOpen();
    }

    interface Alert {
        /** e.g. {@code avg(cpu_used) > 90}. */
        String when();

        /** Consecutive windows {@code when} must hold before the alert opens. */
        @WithDefault("1")
        int forWindows();

        /** When an open alert resolves; defaults to the negation of {@code when}. */
        Optional<String> resolveWhen();

        @WithDefault("warning")
        String severity();
    }

    interface Output {
        /**
         * Closed windows on {@code arrow_aggregates} are keyed by device shard, as the producer keys
         * {@code arrow_tables} (FNV-1a of the device over this many shards): a device's windows share a partition.
         */
        @WithDefault("4")
        int shards();
    }

    interface Store {
        /** PostgreSQL schema holding the analyzer's tables (created if missing). */
        @WithDefault("public")
        String schema();

        /** One attempt to store a batch of closed windows may take this long before it counts as failed. */
        @WithDefault("10s")
        Duration timeout();

        /** Failed stores and publications are retried with backoff from 200 ms, doubling up to this. */
        @WithDefault("5s")
        Duration retryMaxBackoff();

        /**
         * How long the schema migration at start-up may take, connecting included (a TLS handshake and
         * SCRAM on a busy machine took longer than 30 s in the security suite); past it the attempt fails and is
         * retried with backoff, not ready meanwhile.
         */
        @WithDefault("30s")
        Duration migrateTimeout();
    }
}
