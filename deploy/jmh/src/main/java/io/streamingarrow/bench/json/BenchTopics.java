package io.streamingarrow.bench.json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;

/**
 * The benchmark's topics: {@code create <partitions> <topic>...}, {@code delete <topic>...} (those of them that exist) and
 * {@code bytes <topic>} (what the broker stores for the topic, summed over its partitions' log
 * directories: the Kafka bytes the benchmark divides by the row count).
 */
public final class BenchTopics {

    private BenchTopics() {
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                System.getProperty("bootstrap", "127.0.0.1:19092"));
        try (Admin admin = Admin.create(props)) {
            switch (args[0]) {
                case "create" -> {
                    int partitions = Integer.parseInt(args[1]);
                    List<NewTopic> topics = new ArrayList<>();
                    for (int i = 2; i < args.length; i++) {
                        topics.add(new NewTopic(args[i], partitions, (short) 1));
                    }
                    admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
                }
                case "delete" -> {
                    // Only those that exist: a run's dead-letter topics appear only if something was refused.
                    Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                    List<String> topics = List.of(args).subList(1, args.length).stream().filter(existing::contains).toList();
                    admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
                }
                case "bytes" -> {
                    long bytes = 0;
                    Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(
                            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream().map(n -> n.id()).toList())
                            .allDescriptions().get(30, TimeUnit.SECONDS);
                    for (Map<String, LogDirDescription> byDir : dirs.values()) {
                        for (LogDirDescription dir : byDir.values()) {
                            for (var replica : dir.replicaInfos().entrySet()) {
                                if (replica.getKey().topic().equals(args[1])) {
                                    ReplicaInfo info = replica.getValue();
                                    bytes += info.size();
                                }
                            }
                        }
                    }
                    System.out.println(bytes);
                }
                default -> throw new IllegalArgumentException("usage: create <partitions> <topic>... | delete <topic>... | bytes <topic>");
            }
        }
    }
}
