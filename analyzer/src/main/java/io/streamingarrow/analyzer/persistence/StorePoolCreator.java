package io.streamingarrow.analyzer.persistence;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * The PostgreSQL pool as Quarkus configures it, less Vert.x's acquisition timer, with a bounded wait queue.
 *
 * <p>Why: in this Vert.x version the pool arms a timer for each acquisition and, when the connection attempt
 * fails first (PostgreSQL down: connection refused), the timer still fires 30 s later and fails the
 * already-failed result: {@code IllegalStateException: Result is already complete} on the event loop, once for
 * every attempt made during an outage, long after it. Without the timer an attempt ends with its connection's
 * own outcome (refused, or the connect timeout), and {@code analyzer.store.timeout} bounds how long the
 * analyzer waits for it; waiters beyond the queue bound fail at once and are retried with the batch.
 */
@Singleton
public class StorePoolCreator implements PgPoolCreator {

    static final int MAX_WAITING = 64;

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions())
                .setConnectionTimeout(0)
                .setMaxWaitQueueSize(MAX_WAITING);
        return PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options);
    }
}
