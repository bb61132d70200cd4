package io.streamingarrow.shared.contract;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

import io.streamingarrow.shared.ipc.IpcFraming;

/**
 * Compares the tables of docs/contract.md with what the code says ({@link ContractSources}) and lists
 * every disagreement in words. An empty list means the document and the code are in step.
 */
final class ContractComparison {

    private final MarkdownTables doc;
    private final String docText;
    private final ContractSources code;
    private final List<String> disagreements = new ArrayList<>();

    private ContractComparison(String docText, ContractSources code) {
        this.docText = docText;
        this.doc = new MarkdownTables(docText);
        this.code = code;
    }

    static List<String> disagreements(String contractMarkdown, ContractSources code) {
        ContractComparison comparison = new ContractComparison(contractMarkdown, code);
        comparison.topics();
        comparison.headers();
        comparison.shardKeys();
        comparison.stores();
        comparison.ports();
        return comparison.disagreements;
    }

    private void topics() {
        Map<String, MarkdownTables.Row> documented = byFirstColumn(doc.table("Kafka topics"), "topic");
        Map<String, List<String>> writers = code.channelsByTopic("outgoing");
        Map<String, List<String>> readers = code.channelsByTopic("incoming");
        sameSet("topics", documented.keySet(), code.stackTopicPartitions().keySet(), "deploy/local/stack.sh TOPICS");
        sameSet("topics", documented.keySet(), code.kubernetesTopicPartitions().keySet(), "deploy/k8s/infra/kafka.yaml");
        Set<String> usedByServices = new LinkedHashSet<>(writers.keySet());
        usedByServices.addAll(readers.keySet());
        for (String topic : usedByServices) {
            if (!documented.containsKey(topic)) {
                disagreements.add("topic " + topic + " is used by " + writers.getOrDefault(topic, List.of())
                        + readers.getOrDefault(topic, List.of()) + " (application.properties) but not in docs/contract.md");
            }
        }
        documented.forEach((topic, row) -> {
            samePartitions(topic, row.get("partitions, local stack"), code.stackTopicPartitions().get(topic), "deploy/local/stack.sh");
            samePartitions(topic, row.get("partitions, Kubernetes"), code.kubernetesTopicPartitions().get(topic), "deploy/k8s/infra/kafka.yaml");
            sameServices(topic, "written by", row.get("written by"), writers.getOrDefault(topic, List.of()));
            sameServices(topic, "read by", row.get("read by"), readers.getOrDefault(topic, List.of()));
        });
    }

    private void samePartitions(String topic, String documented, Integer actual, String where) {
        if (actual != null && !documented.equals(Integer.toString(actual))) {
            disagreements.add("topic " + topic + ": docs/contract.md says " + documented + " partitions, " + where + " creates " + actual);
        }
    }

    /** Every service channel on the topic is named in the cell, and every service the cell names has one. */
    private void sameServices(String topic, String column, String cell, List<String> channels) {
        for (String channel : channels) {
            String service = channel.split(" ")[0];
            if (!mentions(cell, service) || (channel.contains("(group ") && !cell.contains(channel))) {
                disagreements.add("topic " + topic + ": '" + column + "' should name " + channel
                        + " (application.properties), docs/contract.md says '" + cell + "'");
            }
        }
        for (String service : ContractSources.SERVICES) {
            if (mentions(cell, service) && channels.stream().noneMatch(c -> c.startsWith(service))) {
                disagreements.add("topic " + topic + ": docs/contract.md says '" + column + "' " + service
                        + ", but " + service + "'s application.properties has no such channel");
            }
        }
    }

    private void headers() {
        Map<String, MarkdownTables.Row> arrowHeaders = byFirstColumn(doc.table("Headers on the Arrow messages"), "header");
        Map<String, MarkdownTables.Row> deadLetterHeaders = byFirstColumn(doc.table("Dead-letter headers"), "header");
        Set<String> constants = new LinkedHashSet<>(code.headerConstants().values());
        Set<String> arrowConstants = new LinkedHashSet<>();
        Set<String> deadLetterConstants = new LinkedHashSet<>();
        for (String header : constants) {
            (header.startsWith("dlq-") ? deadLetterConstants : arrowConstants).add(header);
        }
        sameSet("headers on Arrow messages", arrowHeaders.keySet(), arrowConstants, "MessageHeaders");
        sameSet("dead-letter headers", deadLetterHeaders.keySet(), deadLetterConstants, "MessageHeaders");
        MarkdownTables.Row contentType = arrowHeaders.get(MessageHeaders.CONTENT_TYPE);
        if (contentType != null) {
            for (IpcFraming framing : IpcFraming.values()) {
                if (!contentType.get("value").contains(framing.contentType())) {
                    disagreements.add("header content-type: docs/contract.md does not list " + framing.contentType()
                            + " (IpcFraming." + framing + ")");
                }
            }
        }
    }

    private void shardKeys() {
        String key = new DeviceShards(3).key(2);
        String documented = "`" + key.substring(0, key.length() - 1) + "<n>`";
        if (!key.endsWith("2") || !docText.contains(documented)) {
            disagreements.add("device shard keys: DeviceShards names shard 2 '" + key
                    + "', docs/contract.md does not describe keys as " + documented);
        }
    }

    private void stores() {
        List<MarkdownTables.Row> rows = doc.table("Stores");
        Properties sink = code.serviceProperties().get("sink");
        Properties analyzer = code.serviceProperties().get("analyzer");
        String postgresUrl = ContractSources.defaultOf(analyzer.getProperty("quarkus.datasource.reactive.url", ""));
        String postgresDatabase = postgresUrl.substring(postgresUrl.lastIndexOf('/') + 1);
        Map<String, String> databases = new LinkedHashMap<>();
        databases.put("ClickHouse", ContractSources.defaultOf(sink.getProperty("sink.clickhouse.database", "")));
        databases.put("PostgreSQL", postgresDatabase);
        Map<String, Set<String>> tables = new LinkedHashMap<>();
        tables.put("ClickHouse", Set.of(ContractSources.defaultOf(sink.getProperty("sink.clickhouse.table", ""))));
        tables.put("PostgreSQL", new LinkedHashSet<>(code.analyzerPostgresTables()));
        String stackDatabase = code.stackVariables().get("DATABASE");
        databases.forEach((store, database) -> {
            if (!database.equals(stackDatabase)) {
                disagreements.add(store + " database: the service uses " + database + ", deploy/local/stack.sh creates " + stackDatabase);
            }
            Set<String> documentedTables = new LinkedHashSet<>();
            for (MarkdownTables.Row row : rows) {
                if (row.get("store").equals(store)) {
                    documentedTables.add(row.get("table"));
                    if (!row.get("database").equals(database)) {
                        disagreements.add(store + " table " + row.get("table") + ": docs/contract.md says database "
                                + row.get("database") + ", the service uses " + database);
                    }
                }
            }
            sameSet(store + " tables", documentedTables, tables.get(store),
                    store.equals("ClickHouse") ? "sink's application.properties" : "the analyzer's AnalyzerStore");
        });
    }

    private void ports() {
        Map<String, MarkdownTables.Row> documented = byFirstColumn(doc.table("Ports"), "what");
        Map<String, String> stack = code.stackVariables();
        Map<String, List<String>> expected = new LinkedHashMap<>(); // row → "port (where it is set)"
        expected.put("Kafka", new ArrayList<>(List.of(stack.get("KAFKA_PORT") + " (stack.sh KAFKA_PORT)")));
        expected.put("Kafka controller", List.of(stack.get("KAFKA_CONTROLLER_PORT") + " (stack.sh KAFKA_CONTROLLER_PORT)"));
        expected.put("ClickHouse HTTP", new ArrayList<>(List.of(stack.get("CLICKHOUSE_HTTP_PORT") + " (stack.sh CLICKHOUSE_HTTP_PORT)")));
        expected.put("ClickHouse native", List.of(stack.get("CLICKHOUSE_TCP_PORT") + " (stack.sh CLICKHOUSE_TCP_PORT)"));
        expected.put("PostgreSQL", new ArrayList<>(List.of(stack.get("POSTGRES_PORT") + " (stack.sh POSTGRES_PORT)")));
        code.serviceProperties().forEach((service, p) -> {
            expected.get("Kafka").add(ContractSources.portOf(p.getProperty("kafka.bootstrap.servers"))
                    + " (" + service + " kafka.bootstrap.servers)");
            expected.put(service + " HTTP", List.of(
                    p.getProperty("quarkus.http.port") + " (" + service + " quarkus.http.port)",
                    code.pipelineServicePorts().get(service) + " (pipeline.sh PORT[" + service + "])"));
        });
        expected.get("ClickHouse HTTP").add(ContractSources.portOf(code.serviceProperties().get("sink")
                .getProperty("sink.clickhouse.url")) + " (sink sink.clickhouse.url)");
        expected.get("PostgreSQL").add(ContractSources.portOf(code.serviceProperties().get("analyzer")
                .getProperty("quarkus.datasource.reactive.url")) + " (analyzer quarkus.datasource.reactive.url)");
        sameSet("ports", documented.keySet(), expected.keySet(), "the code");
        expected.forEach((what, ports) -> {
            MarkdownTables.Row row = documented.get(what);
            if (row == null) {
                return;
            }
            for (String port : ports) {
                if (!port.startsWith(row.get("port") + " ")) {
                    disagreements.add("port of " + what + ": docs/contract.md says " + row.get("port") + ", the code has " + port);
                }
            }
        });
    }

    private void sameSet(String what, Set<String> documented, Set<String> actual, String where) {
        for (String name : actual) {
            if (!documented.contains(name)) {
                disagreements.add(what + ": " + name + " is in " + where + " but not in docs/contract.md");
            }
        }
        for (String name : documented) {
            if (!actual.contains(name)) {
                disagreements.add(what + ": docs/contract.md lists " + name + ", which " + where + " does not have");
            }
        }
    }

    private static Map<String, MarkdownTables.Row> byFirstColumn(List<MarkdownTables.Row> rows, String column) {
        Map<String, MarkdownTables.Row> byName = new LinkedHashMap<>();
        for (MarkdownTables.Row row : rows) {
            byName.put(row.get(column), row);
        }
        return byName;
    }

    private static boolean mentions(String cell, String service) {
        return Pattern.compile("\\b" + Pattern.quote(service) + "\\b").matcher(cell).find();
    }
}
