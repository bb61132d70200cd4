package io.streamingarrow.shared.contract;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the code says about the contract, read from the repository: the header constants, each service's
 * application.properties, the topics and ports of deploy/local/stack.sh and pipeline.sh, the topics of
 * deploy/k8s/infra/kafka.yaml and the analyzer's PostgreSQL tables.
 */
record ContractSources(
        Map<String, String> headerConstants,
        Map<String, Properties> serviceProperties,
        Map<String, Integer> stackTopicPartitions,
        Map<String, Integer> kubernetesTopicPartitions,
        Map<String, String> stackVariables,
        Map<String, Integer> pipelineServicePorts,
        List<String> analyzerPostgresTables) {

    static final List<String> SERVICES = List.of("producer", "analyzer", "sink");

    /** The repository root: the first directory upwards from the working directory that has docs/contract.md. */
    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docs/contract.md")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docs/contract.md above " + Path.of("").toAbsolutePath());
    }

    static ContractSources read(Path root) {
        Map<String, Properties> properties = new LinkedHashMap<>();
        for (String service : SERVICES) {
            Properties p = new Properties();
            try {
                p.load(new StringReader(text(root.resolve(service + "/src/main/resources/application.properties"))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            properties.put(service, p);
        }
        String stack = text(root.resolve("deploy/local/stack.sh"));
        return new ContractSources(
                readHeaderConstants(),
                properties,
                stackTopics(stack),
                kubernetesTopics(text(root.resolve("deploy/k8s/infra/kafka.yaml"))),
                shellVariables(stack),
                pipelinePorts(text(root.resolve("deploy/local/pipeline.sh"))),
                postgresTables(text(root.resolve(
                        "analyzer/src/main/java/io/streamingarrow/analyzer/persistence/AnalyzerStore.java"))));
    }

    /** MessageHeaders' constants: field name → header name. */
    static Map<String, String> readHeaderConstants() {
        Map<String, String> constants = new LinkedHashMap<>();
        for (Field field : MessageHeaders.class.getDeclaredFields()) {
            int m = field.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isPublic(m) && field.getType() == String.class) {
                try {
                    constants.put(field.getName(), (String) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return constants;
    }

    /** Topic → the services whose channels write it (outgoing) or read it (incoming, with the group). */
    Map<String, List<String>> channelsByTopic(String direction) {
        Map<String, List<String>> byTopic = new LinkedHashMap<>();
        Pattern topicKey = Pattern.compile("mp\\.messaging\\." + direction + "\\.([^.]+)\\.topic");
        serviceProperties.forEach((service, p) -> {
            for (String key : new TreeSet<>(p.stringPropertyNames())) {
                Matcher m = topicKey.matcher(key);
                if (m.matches()) {
                    String group = p.getProperty("mp.messaging." + direction + "." + m.group(1) + ".group.id");
                    byTopic.computeIfAbsent(p.getProperty(key).trim(), t -> new ArrayList<>())
                            .add(group == null ? service : service + " (group " + group + ")");
                }
            }
        });
        return byTopic;
    }

    /** The default of a {@code ${ENV:default}} value, or the value itself. */
    static String defaultOf(String value) {
        Matcher m = Pattern.compile("\\$\\{[^:}]+:(.*)}").matcher(value.trim());
        return m.matches() ? m.group(1) : value.trim();
    }

    /** The port of a {@code host:port} or a URL. */
    static int portOf(String address) {
        Matcher m = Pattern.compile(".*:(\\d+)(/.*)?").matcher(defaultOf(address));
        if (!m.matches()) {
            throw new IllegalArgumentException("no port in " + address);
        }
        return Integer.parseInt(m.group(1));
    }

    private static Map<String, Integer> stackTopics(String stack) {
        Matcher m = Pattern.compile("(?m)^TOPICS=\\(([^)]*)\\)").matcher(stack);
        if (!m.find()) {
            throw new IllegalStateException("deploy/local/stack.sh has no TOPICS=(topic:partitions ...) line");
        }
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String spec : m.group(1).trim().split("\\s+")) {
            String[] parts = spec.split(":");
            topics.put(parts[0], Integer.parseInt(parts[1]));
        }
        return topics;
    }

    private static Map<String, Integer> kubernetesTopics(String yaml) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (!document.contains("kind: KafkaTopic")) {
                continue;
            }
            Matcher name = Pattern.compile("(?m)^\\s+topicName:\\s*(\\S+)").matcher(document);
            Matcher partitions = Pattern.compile("(?m)^\\s+partitions:\\s*(\\d+)").matcher(document);
            if (!name.find() || !partitions.find()) {
                throw new IllegalStateException("a KafkaTopic without topicName or partitions in deploy/k8s/infra/kafka.yaml");
            }
            topics.put(name.group(1), Integer.parseInt(partitions.group(1)));
        }
        return topics;
    }

    /** NAME=value, and NAME="${OVERRIDE:-value}" (a default an environment variable may move): the value. */
    private static Map<String, String> shellVariables(String script) {
        Map<String, String> variables = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^([A-Z_]+)=(?:\"\\$\\{[A-Z_]+:-([A-Za-z0-9_]+)}\"|([A-Za-z0-9_]+))\\s*$").matcher(script);
        while (m.find()) {
            variables.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
        }
        return variables;
    }

    private static Map<String, Integer> pipelinePorts(String pipeline) {
        Matcher m = Pattern.compile("declare -A PORT=\\(([^)]*)\\)").matcher(pipeline);
        if (!m.find()) {
            throw new IllegalStateException("deploy/local/pipeline.sh has no declare -A PORT=(...) line");
        }
        Map<String, Integer> ports = new LinkedHashMap<>();
        Matcher entry = Pattern.compile("\\[(\\w+)]=(\\d+)").matcher(m.group(1));
        while (entry.find()) {
            ports.put(entry.group(1), Integer.parseInt(entry.group(2)));
        }
        return ports;
    }

    private static List<String> postgresTables(String source) {
        List<String> tables = new ArrayList<>();
        Matcher m = Pattern.compile("CREATE TABLE IF NOT EXISTS \" \\+ schema \\+ \"\\.(\\w+)").matcher(source);
        while (m.find()) {
            tables.add(m.group(1));
        }
        if (tables.isEmpty()) {
            throw new IllegalStateException("found no CREATE TABLE in AnalyzerStore.java: "
                    + "update ContractSources.postgresTables to how the analyzer now creates its tables");
        }
        return tables;
    }

    static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
