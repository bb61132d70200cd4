package io.streamingarrow.sink.clickhouse;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.WithDefault;

/** Where and how to reach ClickHouse ({@code sink.clickhouse.*}). */
public interface ClickHouseConfig {

    /** HTTP endpoint, e.g. {@code http://127.0.0.1:8123}. */
    @WithDefault("http://127.0.0.1:8123")
    String url();

    /**
     * How the sink talks to ClickHouse: {@code java-client} (the official ClickHouse Java client, client-v2)
     * or {@code vertx} (the sink's own HTTP client on Vert.x, kept for comparison; see sink/README.md).
     */
    @WithDefault("java-client")
    Transport transport();

    /**
     * For an {@code https://} URL: a PEM file with the certificate(s) of the CA that signed ClickHouse's
     * server certificate. Without it, the JVM's default trust store decides. Either way the server's
     * certificate must chain to a trusted CA and name the URL's host (no "trust all" option exists).
     */
    Optional<String> caCert();

    @WithDefault("default")
    String user();

    Optional<String> password();

    @WithDefault("streaming_arrow")
    String database();

    @WithDefault("sensor_readings")
    String table();

    /** Create the table from the first message's Arrow schema when it does not exist. */
    @WithDefault("true")
    boolean autoCreate();

    /** Gzip INSERT bodies ({@code Content-Encoding: gzip}; ClickHouse 18.16 and newer decode it). */
    @WithDefault("false")
    boolean gzip();

    @WithDefault("5s")
    Duration connectTimeout();

    /** Time limit of one HTTP request, from sending to the end of the answer. */
    @WithDefault("60s")
    Duration requestTimeout();

    /** The implementations of {@link ClickHouseTransport}; configured as {@code java-client} or {@code vertx}. */
    enum Transport {
        JAVA_CLIENT,
        VERTX
    }
}
