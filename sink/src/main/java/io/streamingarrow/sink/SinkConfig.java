package io.streamingarrow.sink;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.streamingarrow.sink.clickhouse.ClickHouseConfig;

/** The sink's configuration, {@code sink.*}. */
@ConfigMapping(prefix = "sink")
public interface SinkConfig {

    ClickHouseConfig clickhouse();

    Insert insert();

    Decode decode();

    /** Refuse (dead-letter) messages with Arrow columns the table has no column for; otherwise count and drop them. */
    @WithDefault("false")
    boolean failOnExtraColumns();

    /** Batching and flow control of INSERTs ({@code sink.insert.*}). */
    interface Insert {

        /** Flush when the buffered rows reach this many, while the sink is caught up (see behind-after). */
        @WithDefault("100000")
        int maxRows();

        /**
         * Flush when the buffered Native bytes reach this many: the size of the INSERTs while the sink is behind
         * (about 190 000 rows of the fleet's table at 12 MiB). Up to max-in-flight + 1 such buffers are held, in
         * {@link #memory()}.
         */
        @WithDefault("12582912")
        long maxBytes();

        /**
         * Flush a non-empty buffer at the latest this long after its first message, while the sink is caught up.
         * 250 ms rather than 1 s: freshness p99 under 1 s at 100 000 rows/s (deploy/bench).
         */
        @WithDefault("250ms")
        Duration linger();

        /**
         * A message older than this (its Kafka timestamp) when it reaches the sink means Kafka holds a backlog: the
         * buffer then fills up to max-bytes, or for this long, instead of max-rows or linger. So is a buffer that
         * reaches max-rows while every INSERT slot is taken. Large inserts while behind, small ones when caught up:
         * ClickHouse makes fewer parts and merges less exactly when it is the bottleneck.
         */
        @WithDefault("1s")
        Duration behindAfter();

        /**
         * Memory for INSERT bodies and the Kafka values behind them (kept for their dead letters, should ClickHouse
         * refuse an INSERT), off the heap, in chunks reused from one INSERT to the next: enough for max-in-flight
         * INSERTs and the one filling at max-bytes (the fleet's values are about 0.3 times their Native blocks). Beyond
         * it a chunk comes from the heap (counted by {@code sink.insert.memory.overflow}); the batcher's own bounds keep
         * that rare. 32 MiB rather than the 47 MiB that 3 full 12 MiB buffers and their values take: it keeps the sink
         * within 256 MB RSS at full speed with its 80 MB heap (docs/performance.md); when it is full the buffer being
         * filled goes as it is, so the second INSERT slot mostly carries a smaller INSERT.
         */
        @WithDefault("33554432")
        long memory();

        /** INSERTs sent and not yet answered; with one full buffer waiting, consumption pauses beyond this. */
        @WithDefault("2")
        int maxInFlight();

        /** First retry delay; doubles per attempt with ±50% jitter, up to {@link #maxBackoff()}. */
        @WithDefault("200ms")
        Duration initialBackoff();

        @WithDefault("30s")
        Duration maxBackoff();

        /**
         * Attempts for an INSERT the server refuses with a non-transient error before its messages are
         * dead-lettered; transient failures (unreachable, 5xx gateway, overload codes) retry forever.
         */
        @WithDefault("3")
        int rejectedAttempts();
    }

    /** Limits of one message's decode ({@code sink.decode.*}). */
    interface Decode {

        @WithDefault("67108864")
        long maxMessageBytes();

        @WithDefault("536870912")
        long maxDecodedBytes();

        @WithDefault("10000000")
        long maxRows();

        @WithDefault("100000")
        int maxBatches();
    }
}
