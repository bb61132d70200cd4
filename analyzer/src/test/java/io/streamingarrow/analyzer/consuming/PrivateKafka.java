package io.streamingarrow.analyzer.consuming;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.common.Uuid;

/**
 * A throwaway single-node Kafka broker (the local stack's own jars, KRaft) whose clients' listener is
 * advertised at a port the test chooses: put a {@link TcpProxy} there and every connection of the clients
 * goes through it, bootstrap and data alike, so the test can cut the broker off without killing the
 * shared one. A second listener, reached directly, serves the test's own producer and admin.
 */
final class PrivateKafka implements AutoCloseable {

    private final Path dir;
    private final int internalPort;
    private final int externalPort;
    private Process process;

    PrivateKafka(int advertisedExternalPort) throws Exception {
        dir = Files.createTempDirectory("analyzer-private-kafka");
        internalPort = freePort();
        externalPort = freePort();
        int controllerPort = freePort();
        Files.writeString(dir.resolve("server.properties"), String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=INTERNAL://127.0.0.1:" + internalPort + ",EXTERNAL://127.0.0.1:" + externalPort
                        + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=INTERNAL://127.0.0.1:" + internalPort + ",EXTERNAL://127.0.0.1:" + advertisedExternalPort,
                "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=INTERNAL",
                "controller.listener.names=CONTROLLER",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "") );
        Files.writeString(dir.resolve("log4j2.yaml"), String.join("\n",
                "Configuration:",
                "  Appenders:",
                "    Console:",
                "      name: STDOUT",
                "      PatternLayout:",
                "        Pattern: \"[%d] %p %m (%c)%n\"",
                "  Loggers:",
                "    Root:",
                "      level: WARN",
                "      AppenderRef:",
                "        - ref: STDOUT",
                ""));
        String classpath = classpath();
        run(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(),
                "-c", dir.resolve("server.properties").toString()), classpath, dir.resolve("format.log"))
                .waitFor(120, TimeUnit.SECONDS);
        process = run(List.of("kafka.Kafka", dir.resolve("server.properties").toString()), classpath, dir.resolve("server.log"));
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!answers(internalPort)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("private Kafka broker did not start; see " + dir.resolve("server.log"));
            }
            process.waitFor(200, TimeUnit.MILLISECONDS); // waits on the broker process, not a bare sleep
        }
    }

    /** Where the test's own clients connect, directly. */
    String internalBootstrap() {
        return "127.0.0.1:" + internalPort;
    }

    /** The listener that the proxy relays to. */
    int externalPort() {
        return externalPort;
    }

    private Process run(List<String> args, String classpath, Path log) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.yaml"), "-cp", classpath));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The broker jars deploy/local/stack.sh fetched: $STREAMING_ARROW_HOME/cache/kafka-<version>. */
    private static String classpath() throws IOException {
        String home = System.getenv("STREAMING_ARROW_HOME");
        Path root = home != null ? Path.of(home) : Path.of("..", ".local-stack").toAbsolutePath().normalize();
        try (Stream<Path> dirs = Files.list(root.resolve("cache"))) {
            Path libs = dirs.filter(p -> p.getFileName().toString().startsWith("kafka-"))
                    .max(Comparator.naturalOrder())
                    .orElseThrow(() -> new IllegalStateException("no Kafka broker jars under " + root.resolve("cache")
                            + ": run deploy/local/stack.sh up (and set STREAMING_ARROW_HOME as it was then)"));
            return libs.toString() + File.separator + "*";
        }
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Below the ephemeral range: see {@link TcpProxy#freePortBelowEphemeralRange()}. */
    static int freePort() throws IOException {
        return TcpProxy.freePortBelowEphemeralRange();
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
